use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use crate::auth::policy;
use crate::domain::UnitCode;
use crate::error::AppError;
use crate::graphql::context;
use crate::graphql::input::{AttachEvidenceFileInput, ImportIndicatorValuesInput};
use crate::graphql::object::{EvidenceFile, ImportRun};
use crate::service::evidence::{self, Attachment};
use crate::service::import::{self, ImportFile, ImportOptions, ImportSource};
use crate::service::units;

/// The receipt of an import.
#[derive(SimpleObject)]
pub struct ImportIndicatorValuesPayload {
    pub import_run: ImportRun,
}

/// The attached file.
#[derive(SimpleObject)]
pub struct AttachEvidenceFilePayload {
    pub evidence_file: EvidenceFile,
}

#[derive(Default)]
pub struct IntakeMutation;

#[Object]
impl IntakeMutation {
    /// Imports indicator values from a spreadsheet (a department: its own indicators; an
    /// administrator: any unit's, or the county's). Every row is checked before anything is
    /// stored; by default one refused row stores nothing. A row equal to the current
    /// revision stores nothing; any other becomes a revision exactly as
    /// `reportIndicatorValue` makes one. Refused rows are listed with their row, column,
    /// code and message, and download as a spreadsheet (`errorReportPath`).
    async fn import_indicator_values(
        &self,
        ctx: &Context<'_>,
        input: ImportIndicatorValuesInput,
    ) -> async_graphql::Result<ImportIndicatorValuesPayload> {
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let settings = context::settings(ctx)?;
        let unit = match input.unit_code.as_deref() {
            None => None,
            Some(code) => {
                let (unit, groups) =
                    units::unit_with_groups(&db.conn, &UnitCode::parse(code).map_err(AppError::from)?).await?;
                Some((unit.id, groups))
            }
        };
        let scope = policy::import_scope(actor.identity, unit.as_ref().map(|(id, g)| (*id, g.as_slice())))?;
        let upload = input.file.value(ctx).map_err(|e| AppError::Unexpected(e.into()))?;
        let file = ImportFile { source: ImportSource::Handle(upload.content), name: upload.filename };
        let options = ImportOptions::from_settings(settings, input.dry_run, input.valid_rows_only);
        let summary = import::import_values(db, actor, &scope, &file, options, Arc::new(import::Silent)).await?;
        let id = summary.run_id.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("an import without a receipt")))?;
        let run = import::find_run(&db.conn, actor.identity, id).await?;
        Ok(ImportIndicatorValuesPayload { import_run: ImportRun(run) })
    }

    /// Attaches a document (PDF, OFD, JPEG, PNG, DOCX or XLSX, decided by its content) to a
    /// value revision or a progress version of the caller's own unit, as evidence. Identical
    /// files are stored once.
    async fn attach_evidence_file(
        &self,
        ctx: &Context<'_>,
        input: AttachEvidenceFileInput,
    ) -> async_graphql::Result<AttachEvidenceFilePayload> {
        let actor = context::actor(ctx)?;
        let db = context::db(ctx)?;
        let settings = context::settings(ctx)?;
        let target = match (&input.value_id, &input.progress_id) {
            (Some(v), None) => Attachment::Value(
                crate::graphql::node::row_id(v, "IndicatorValue")
                    .ok_or_else(|| AppError::validation(format!("{:?} is not a value id", v.as_str())))?,
            ),
            (None, Some(p)) => Attachment::Progress(
                crate::graphql::node::row_id(p, "TaskProgress")
                    .ok_or_else(|| AppError::validation(format!("{:?} is not a progress id", p.as_str())))?,
            ),
            _ => return Err(AppError::validation("give exactly one of `valueId` and `progressId`").into()),
        };
        let upload = input.file.value(ctx).map_err(|e| AppError::Unexpected(e.into()))?;
        let stored = evidence::attach(
            db,
            actor,
            target,
            evidence::Upload { file: upload.content, name: upload.filename, declared_type: upload.content_type },
            settings.limits.max_evidence_bytes,
        )
        .await?;
        Ok(AttachEvidenceFilePayload { evidence_file: EvidenceFile(stored) })
    }
}
