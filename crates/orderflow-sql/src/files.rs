//! [`sql_files!`]: uploaded files, stored with their bytes, expanded by
//! [`sql_store!`](crate::sql_store) into the same module.

/// Expands to `put_file(conn, file, bytes)` and `file(pool, id)`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_files {
    (row: $row:ty, pool: $pool:ty, connection: $conn:ty) => {
        async fn file(pool: &$pool, id: &str) -> Result<Option<(StoredFile, Vec<u8>)>> {
            optional(
        query(
                "SELECT id, organization, uploaded_by, name, media_type, size, sha256, created_at, \
                 bytes FROM files WHERE id = $1",
            )
            .bind(id),
        pool,
        |row| {
                Ok((
                    StoredFile {
                        id: get(row, "id")?,
                        organization: get(row, "organization")?,
                        uploaded_by: get(row, "uploaded_by")?,
                        name: get(row, "name")?,
                        media_type: get(row, "media_type")?,
                        size: uint(get(row, "size")?)?,
                        sha256: hash(row, "sha256")?,
                        created_at: time(row, "created_at")?,
                    },
                    get(row, "bytes")?,
                ))
            },
        )
        .await
        }

        async fn put_file(conn: &mut $conn, file: &StoredFile, bytes: &[u8]) -> Result<()> {
            let what = format!("file {}", file.id);
            query(
                "INSERT INTO files (id, organization, uploaded_by, name, media_type, size, sha256, \
                 created_at, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&file.id)
            .bind(&file.organization)
            .bind(&file.uploaded_by)
            .bind(&file.name)
            .bind(&file.media_type)
            .bind(int(file.size)?)
            .bind(&file.sha256[..])
            .bind(micros(file.created_at))
            .bind(bytes)
            .execute(&mut *conn)
            .await
            .map_err(refused(&what))?;
            Ok(())
        }
    };
}
