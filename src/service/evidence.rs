//! Evidence files (批复, 监测报告, photos) attached to a value revision or a progress version.
//!
//! - The type is decided from the content (magic bytes; for the zip-based formats, the
//!   archive's directory), never from the name, against an allow-list: PDF, OFD, JPEG,
//!   PNG, DOCX, XLSX. An upload whose declared type names another type is refused.
//! - Files are stored in the database (so every instance, on SQLite or PostgreSQL, serves
//!   them), once per content: identical uploads share one blob, keyed by SHA-256.
//! - Attaching is the reporting departments' (the task's units, as for a report); reading
//!   and downloading follow the scope of the record the file belongs to.

use std::io::{Read, Seek, SeekFrom};

use entity::{evidence_blob, evidence_file, indicator, indicator_value, task_progress};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};
use serde_json::json;
use sha2::Digest;

use crate::auth::{policy, Identity};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::service::tasks;
use crate::service::write::{Record, Write};
use crate::service::Actor;

/// An accepted type of evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceType {
    Pdf,
    Ofd,
    Jpeg,
    Png,
    Docx,
    Xlsx,
}

impl EvidenceType {
    pub fn media_type(self) -> &'static str {
        match self {
            EvidenceType::Pdf => "application/pdf",
            EvidenceType::Ofd => "application/ofd",
            EvidenceType::Jpeg => "image/jpeg",
            EvidenceType::Png => "image/png",
            EvidenceType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            EvidenceType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// Whether a declared media type names this type (a client that does not know says
    /// `application/octet-stream`, which names none and is not held against it).
    fn declared_as(self, declared: &str) -> bool {
        let mime = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        mime.is_empty()
            || mime == "application/octet-stream"
            || mime == self.media_type()
            || matches!((self, mime.as_str()), (EvidenceType::Jpeg, "image/jpg" | "image/pjpeg"))
            || matches!((self, mime.as_str()), (EvidenceType::Ofd, "application/x-ofd"))
    }
}

/// The type of a file from its content, if it is one of the allow-list.
pub fn sniff(file: &mut std::fs::File) -> AppResult<Option<EvidenceType>> {
    let mut head = [0u8; 8];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(AppError::Unexpected(anyhow::Error::new(e).context("reading an upload"))),
        }
    }
    let head = &head[..n];
    let found = if head.starts_with(b"%PDF-") {
        Some(EvidenceType::Pdf)
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some(EvidenceType::Png)
    } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(EvidenceType::Jpeg)
    } else if head.starts_with(b"PK\x03\x04") {
        file.seek(SeekFrom::Start(0)).map_err(|e| AppError::Unexpected(e.into()))?;
        // The directory names the format; nothing is inflated.
        match zip::ZipArchive::new(&mut *file) {
            Ok(archive) => {
                let names: Vec<&str> = archive.file_names().collect();
                if names.contains(&"word/document.xml") {
                    Some(EvidenceType::Docx)
                } else if names.contains(&"xl/workbook.xml") {
                    Some(EvidenceType::Xlsx)
                } else if names.iter().any(|n| n.eq_ignore_ascii_case("OFD.xml")) {
                    Some(EvidenceType::Ofd)
                } else {
                    None
                }
            }
            Err(_) => None,
        }
    } else {
        None
    };
    file.seek(SeekFrom::Start(0)).map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(found)
}

/// The record a file is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attachment {
    Value(i64),
    Progress(i64),
}

/// An upload to attach.
pub struct Upload {
    pub file: std::fs::File,
    pub name: String,
    pub declared_type: Option<String>,
}

/// The record's task and unit, if it exists.
async fn owner_of(db: &impl ConnectionTrait, target: Attachment) -> AppResult<(i32, Option<i32>)> {
    match target {
        Attachment::Value(id) => {
            let v = indicator_value::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found(format!("no reported value has the id {id}")))?;
            let i = indicator::Entity::find_by_id(v.indicator_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("value {id} without indicator")))?;
            Ok((i.task_id, v.unit_id))
        }
        Attachment::Progress(id) => {
            let p = task_progress::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found(format!("no progress report has the id {id}")))?;
            Ok((p.task_id, p.unit_id))
        }
    }
}

/// Stores an upload (once per content) and attaches it to the record, audited.
#[tracing::instrument(skip_all, fields(target = ?target))]
pub async fn attach(
    db: &Db,
    actor: Actor<'_>,
    target: Attachment,
    mut upload: Upload,
    max_bytes: u64,
) -> AppResult<EvidenceFile> {
    let name = crate::domain::text::bounded("file name", upload.name.trim(), 200)?;
    let size = upload.file.metadata().map_err(|e| AppError::Unexpected(e.into()))?.len();
    if size > max_bytes {
        return Err(AppError::LimitExceeded(format!("the file has {size} bytes; at most {max_bytes} are accepted")));
    }
    if size == 0 {
        return Err(AppError::validation("the file is empty"));
    }
    let kind = sniff(&mut upload.file)?.ok_or_else(|| {
        AppError::validation(
            "the file is not a PDF, OFD, JPEG, PNG, DOCX or XLSX document (its content decides, not its name)",
        )
    })?;
    if let Some(declared) = upload.declared_type.as_deref().filter(|d| !kind.declared_as(d)) {
        return Err(AppError::validation(format!(
            "the file was declared as {declared} but its content is {}",
            kind.media_type()
        )));
    }
    let mut content = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    upload.file.read_to_end(&mut content).map_err(|e| AppError::Unexpected(e.into()))?;
    let sha256 = hex::encode(sha2::Sha256::digest(&content));
    let write = Write::begin(db).await?;
    let tx = write.tx();
    let (task_id, unit_id) = owner_of(tx, target).await?;
    let assigned = tasks::assigned_unit_ids(tx, task_id).await?;
    policy::authorize_attach_evidence(actor.identity, &assigned, unit_id)?;
    evidence_blob::Entity::insert(evidence_blob::ActiveModel {
        sha256: Set(sha256.clone()),
        content_type: Set(kind.media_type().to_string()),
        size_bytes: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        content: Set(content),
        created_at: Set(crate::clock::now()),
    })
    .on_conflict(OnConflict::column(evidence_blob::Column::Sha256).do_nothing().to_owned())
    .exec_without_returning(tx)
    .await?;
    let (value_id, progress_id) = match target {
        Attachment::Value(id) => (Some(id), None),
        Attachment::Progress(id) => (None, Some(id)),
    };
    let stored = evidence_file::ActiveModel {
        id: NotSet,
        sha256: Set(sha256),
        file_name: Set(name),
        value_id: Set(value_id),
        progress_id: Set(progress_id),
        unit_id: Set(unit_id),
        uploaded_by: Set(actor.identity.subject.clone()),
        uploaded_at: Set(crate::clock::now()),
    }
    .insert(tx)
    .await?;
    let record =
        Record::new("evidence_file.attach", "evidence_file", stored.id.to_string()).scope(unit_id).after(Some(json!({
            "id": stored.id, "sha256": stored.sha256, "fileName": stored.file_name, "contentType": kind.media_type(),
            "sizeBytes": size, "valueId": value_id, "progressId": progress_id,
        })));
    write.commit(actor, record).await?;
    Ok(EvidenceFile {
        file: stored,
        content_type: kind.media_type().to_string(),
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
    })
}

/// An evidence file with its blob's facts (not its bytes).
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    pub file: evidence_file::Model,
    pub content_type: String,
    pub size_bytes: i64,
}

/// The files attached to each of these records, oldest first: two statements.
pub async fn files_of(db: &impl ConnectionTrait, values: &[i64], progress: &[i64]) -> AppResult<Vec<EvidenceFile>> {
    let files = evidence_file::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(evidence_file::Column::ValueId.is_in(values.iter().copied()))
                .add(evidence_file::Column::ProgressId.is_in(progress.iter().copied())),
        )
        .order_by_asc(evidence_file::Column::Id)
        .all(db)
        .await?;
    with_facts(db, files).await
}

async fn with_facts(db: &impl ConnectionTrait, files: Vec<evidence_file::Model>) -> AppResult<Vec<EvidenceFile>> {
    use sea_orm::QuerySelect;
    let mut hashes: Vec<String> = files.iter().map(|f| f.sha256.clone()).collect();
    hashes.sort();
    hashes.dedup();
    let facts: std::collections::HashMap<String, (String, i64)> = evidence_blob::Entity::find()
        .select_only()
        .column(evidence_blob::Column::Sha256)
        .column(evidence_blob::Column::ContentType)
        .column(evidence_blob::Column::SizeBytes)
        .filter(evidence_blob::Column::Sha256.is_in(hashes))
        .into_tuple::<(String, String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(h, t, s)| (h, (t, s)))
        .collect();
    Ok(files
        .into_iter()
        .map(|file| {
            let (content_type, size_bytes) = facts.get(&file.sha256).cloned().unwrap_or_default();
            EvidenceFile { file, content_type, size_bytes }
        })
        .collect())
}

/// An evidence file's facts, if the identity may read the record it belongs to (else it
/// looks absent).
pub async fn find(db: &impl ConnectionTrait, identity: &Identity, id: i64) -> AppResult<EvidenceFile> {
    let absent = || AppError::not_found(format!("no evidence file has the id {id}"));
    let file = evidence_file::Entity::find_by_id(id).one(db).await?.ok_or_else(absent)?;
    let target = match (file.value_id, file.progress_id) {
        (Some(v), _) => Attachment::Value(v),
        (None, Some(p)) => Attachment::Progress(p),
        (None, None) => return Err(absent()),
    };
    let (task_id, _) = owner_of(db, target).await?;
    let assigned = tasks::assigned_unit_ids(db, task_id).await?;
    if !policy::record_visible(identity, &assigned) {
        return Err(absent());
    }
    with_facts(db, vec![file]).await?.pop().ok_or_else(absent)
}

/// A file and its bytes, under the scope of [`find`].
pub async fn download(db: &impl ConnectionTrait, identity: &Identity, id: i64) -> AppResult<(EvidenceFile, Vec<u8>)> {
    let file = find(db, identity, id).await?;
    let blob = evidence_blob::Entity::find_by_id(file.file.sha256.clone())
        .one(db)
        .await?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("evidence file {id} without its blob")))?;
    Ok((file, blob.content))
}
