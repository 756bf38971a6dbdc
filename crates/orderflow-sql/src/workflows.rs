//! [`sql_workflows!`]: deployed workflow versions, expanded by
//! [`sql_store!`](crate::sql_store) into the same module, where it uses the
//! row mapping and helpers defined there.

/// Expands to the write `apply_workflow(conn, op)` of a
/// [`WorkflowOp`](crate::WorkflowOp) and `impl WorkflowStore for store`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_workflows {
    (row: $row:ty, connection: $conn:ty, store: $store:ty, reads: $reads:ident) => {
        use $crate::__private::orderflow_store::{DeployedWorkflow, WorkflowVersion};
        use $crate::WorkflowOp;

        const VERSION_COLUMNS: &str = "workflow, version, source, sha256, deployed_by, deployed_at";

        fn version_of(row: &$row) -> Result<WorkflowVersion> {
            Ok(WorkflowVersion {
                workflow: get(row, "workflow")?,
                version: u32::try_from(get::<i64>(row, "version")?).map_err(backend)?,
                source: get(row, "source")?,
                sha256: hash(row, "sha256")?,
                deployed_by: get(row, "deployed_by")?,
                deployed_at: time(row, "deployed_at")?,
            })
        }

        fn number(n: i64) -> Result<u32> {
            u32::try_from(n).map_err(backend)
        }

        async fn apply_workflow(conn: &mut $conn, op: &WorkflowOp) -> Result<()> {
            match op {
                WorkflowOp::Deploy(v) => {
                    query(
                        "INSERT INTO workflows (id, retired) VALUES ($1, 0) \
                         ON CONFLICT (id) DO UPDATE SET retired = 0",
                    )
                    .bind(&v.workflow)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    query(AssertSqlSafe(format!(
                        "INSERT INTO workflow_versions ({VERSION_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6)"
                    )))
                    .bind(&v.workflow)
                    .bind(i64::from(v.version))
                    .bind(&v.source)
                    .bind(&v.sha256[..])
                    .bind(&v.deployed_by)
                    .bind(micros(v.deployed_at))
                    .execute(&mut *conn)
                    .await
                    .map_err(refused(&format!(
                        "version {} of workflow {}",
                        v.version, v.workflow
                    )))?;
                    Ok(())
                }
                WorkflowOp::Retire { id, retired } => {
                    let done = query("UPDATE workflows SET retired = $1 WHERE id = $2")
                        .bind(i64::from(*retired))
                        .bind(id)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    found(done.rows_affected(), || format!("workflow {id}"))
                }
                WorkflowOp::Delete(id) => {
                    if exists(conn, "SELECT 1 FROM orders WHERE workflow = $1 LIMIT 1", id).await? {
                        return Err(StoreError::Invalid(format!("workflow {id} has orders")));
                    }
                    query("DELETE FROM workflow_versions WHERE workflow = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    let done = query("DELETE FROM workflows WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    found(done.rows_affected(), || format!("workflow {id}"))
                }
            }
        }

        #[$crate::__private::async_trait::async_trait]
        impl $crate::__private::orderflow_store::WorkflowStore for $store {
            async fn deploy_workflow(&self, version: &WorkflowVersion) -> Result<()> {
                write_unit(self, Op::Workflow(WorkflowOp::Deploy(version.clone()))).await
            }

            async fn deployed_workflows(&self) -> Result<Vec<DeployedWorkflow>> {
                all(
                    query(
                        "SELECT w.id, w.retired, v.version AS latest, v.sha256 \
                         FROM workflows w JOIN workflow_versions v ON v.workflow = w.id \
                         AND v.version = (SELECT MAX(x.version) FROM workflow_versions x \
                         WHERE x.workflow = w.id) ORDER BY w.id LIMIT $1",
                    )
                    .bind(i64::from(MAX_LIMIT)),
                    &self.$reads,
                    |row| {
                        Ok(DeployedWorkflow {
                            id: get(row, "id")?,
                            latest: number(get(row, "latest")?)?,
                            checksum: hash(row, "sha256")?,
                            retired: get::<i64>(row, "retired")? != 0,
                        })
                    },
                )
                .await
            }

            async fn workflow_version(
                &self,
                id: &str,
                version: u32,
            ) -> Result<Option<WorkflowVersion>> {
                optional(
                    query(AssertSqlSafe(format!(
                        "SELECT {VERSION_COLUMNS} FROM workflow_versions \
                         WHERE workflow = $1 AND version = $2"
                    )))
                    .bind(id)
                    .bind(i64::from(version)),
                    &self.$reads,
                    version_of,
                )
                .await
            }

            async fn workflow_versions(&self, id: &str) -> Result<Vec<WorkflowVersion>> {
                all(
                    query(AssertSqlSafe(format!(
                        "SELECT {VERSION_COLUMNS} FROM workflow_versions \
                         WHERE workflow = $1 ORDER BY version LIMIT $2"
                    )))
                    .bind(id)
                    .bind(i64::from(MAX_LIMIT)),
                    &self.$reads,
                    version_of,
                )
                .await
            }

            async fn orders_per_version(&self, id: &str) -> Result<Vec<(u32, u64)>> {
                all(
                    query(
                        "SELECT workflow_version, COUNT(*) AS n FROM orders WHERE workflow = $1 \
                         GROUP BY workflow_version ORDER BY workflow_version",
                    )
                    .bind(id),
                    &self.$reads,
                    |row| {
                        Ok((
                            number(get(row, "workflow_version")?)?,
                            uint(get(row, "n")?)?,
                        ))
                    },
                )
                .await
            }

            async fn orders_of_version(
                &self,
                id: &str,
                version: u32,
                after: Option<&str>,
                limit: u32,
            ) -> Result<Vec<String>> {
                all(
                    query(
                        "SELECT id FROM orders WHERE workflow = $1 AND workflow_version = $2 \
                         AND id > $3 ORDER BY id LIMIT $4",
                    )
                    .bind(id)
                    .bind(i64::from(version))
                    .bind(after.unwrap_or(""))
                    .bind(i64::from(clamp_limit(limit))),
                    &self.$reads,
                    |row| get(row, "id"),
                )
                .await
            }

            async fn retire_workflow(&self, id: &str, retired: bool) -> Result<()> {
                let op = WorkflowOp::Retire {
                    id: id.to_owned(),
                    retired,
                };
                write_unit(self, Op::Workflow(op)).await
            }

            async fn delete_workflow(&self, id: &str) -> Result<()> {
                write_unit(self, Op::Workflow(WorkflowOp::Delete(id.to_owned()))).await
            }
        }
    };
}
