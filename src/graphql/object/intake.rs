//! What the intake returns: an import's receipt with its refused rows, and evidence files.

use async_graphql::{Context, Object, SimpleObject, ID};
use entity::import_run;

use crate::graphql::enums::ImportRowCode;
use crate::graphql::loader::{self, UnitById};
use crate::graphql::object::Unit;
use crate::graphql::scalars::DateTime;
use crate::service::evidence::EvidenceFile as EvidenceFileModel;
use crate::service::import;

/// The receipt of a bulk import: what was read, stored, left unchanged and refused.
pub struct ImportRun(pub import_run::Model);

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl ImportRun {
    /// The global id (see `Node`).
    pub async fn id(&self) -> ID {
        crate::graphql::node::id("ImportRun", self.0.id)
    }

    /// The name the file was sent under.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// `csv` or `xlsx`, from the file's content.
    async fn format(&self) -> &str {
        &self.0.format
    }

    /// The unit the values were reported for (null: an administrator's county-wide import).
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        match self.0.unit_id {
            None => Ok(None),
            Some(id) => Ok(loader::get::<UnitById>(ctx)?.load_one(id).await?.map(Unit)),
        }
    }

    /// Checked and counted only: nothing was stored.
    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// Whether the valid rows were to be stored although others were refused.
    async fn valid_rows_only(&self) -> bool {
        self.0.valid_rows_only
    }

    /// Whether rows were stored. False for a dry run, for an all-or-nothing import with a
    /// refused row, and when every row was unchanged.
    async fn committed(&self) -> bool {
        self.0.committed
    }

    /// Rows read after the header.
    async fn rows_read(&self) -> i32 {
        count(self.0.rows_read)
    }

    /// Rows stored as new revisions (for a dry run: that would be).
    async fn stored(&self) -> i32 {
        count(self.0.stored)
    }

    /// Rows equal to the current revision, which store nothing.
    async fn unchanged(&self) -> i32 {
        count(self.0.unchanged)
    }

    /// Rows refused (all of them; `errors` lists the first ones).
    async fn refused(&self) -> i32 {
        count(self.0.refused)
    }

    /// The refused rows, in file order (at most the configured number, 1,000 by default),
    /// with messages in the request's language.
    async fn errors(&self) -> Vec<ImportRowError> {
        import::run_errors(&self.0).into_iter().map(ImportRowError::from).collect()
    }

    /// Whether more rows were refused than `errors` lists.
    async fn errors_truncated(&self) -> bool {
        let listed = self.0.errors.get("rows").and_then(|r| r.as_array()).map_or(0, Vec::len);
        self.0.refused > i64::try_from(listed).unwrap_or(i64::MAX)
    }

    /// Where the refused rows download as a spreadsheet with an error column (GET with the
    /// bearer token, or a link from `createExportLink`; `.csv` works too).
    async fn error_report_path(&self) -> String {
        format!("/export/import-errors.xlsx?run={}", self.0.id)
    }

    /// When the import ran.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

/// A refused row of an import.
#[derive(SimpleObject)]
pub struct ImportRowError {
    /// The row as a spreadsheet numbers it (the header is row 1).
    pub row: i32,
    /// The header of the offending column, when one is.
    pub column: Option<String>,
    pub code: ImportRowCode,
    /// What is wrong, in the request's language.
    pub message: String,
    /// The row as the file has it.
    pub cells: Vec<String>,
}

impl From<import::RowError> for ImportRowError {
    fn from(e: import::RowError) -> Self {
        ImportRowError {
            row: i32::try_from(e.row).unwrap_or(i32::MAX),
            column: e.column,
            code: e.code.into(),
            message: crate::i18n::text(&e.message),
            cells: e.cells,
        }
    }
}

/// A document attached to a value revision or a progress report as evidence.
pub struct EvidenceFile(pub EvidenceFileModel);

#[Object]
impl EvidenceFile {
    /// The global id (see `Node`).
    pub async fn id(&self) -> ID {
        crate::graphql::node::id("EvidenceFile", self.0.file.id)
    }

    /// The name it was uploaded under.
    async fn file_name(&self) -> &str {
        &self.0.file.file_name
    }

    /// Decided from the content: application/pdf, application/ofd, image/jpeg, image/png,
    /// or the DOCX or XLSX media type.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// Its size in bytes.
    async fn size_bytes(&self) -> i32 {
        count(self.0.size_bytes)
    }

    /// The SHA-256 of its content, in lower-case hex (identical files share it).
    async fn sha256(&self) -> &str {
        &self.0.file.sha256
    }

    /// The token subject that uploaded it.
    async fn uploaded_by(&self) -> &str {
        &self.0.file.uploaded_by
    }

    async fn uploaded_at(&self) -> DateTime {
        DateTime(self.0.file.uploaded_at)
    }

    /// Where it downloads (GET with the bearer token), under the scope of its record.
    async fn download_path(&self) -> String {
        format!("/evidence/{}", self.0.file.id)
    }
}
