//! The contract of deployed workflow versions.

use super::{Flow, Outcome, at, dental_inputs, is_duplicate, is_not_found};
use crate::{DeployedWorkflow, Store, StoreError, WorkflowVersion};
use anyhow::ensure;

fn version(workflow: &str, n: u32, source: &str) -> WorkflowVersion {
    WorkflowVersion {
        workflow: workflow.into(),
        version: n,
        source: source.into(),
        sha256: [u8::try_from(n).unwrap_or(0); 32],
        deployed_by: "administrator".into(),
        deployed_at: at(i64::from(n)),
    }
}

/// Versions come back as deployed, the latest per workflow; a version
/// number taken already is refused and changes nothing; retiring is
/// remembered and a new deployment lifts it.
pub async fn workflow_versions_round_trip(store: &dyn Store) -> Outcome {
    ensure!(store.deployed_workflows().await?.is_empty());
    let v1 = version("repair", 1, "id = \"repair\"\n");
    let v2 = version("repair", 2, "id = \"repair\" # two\n");
    store.deploy_workflow(&v1).await?;
    store.deploy_workflow(&version("audit", 1, "x")).await?;
    store.deploy_workflow(&v2).await?;
    let racing = store
        .deploy_workflow(&version("repair", 2, "another text"))
        .await;
    ensure!(
        is_duplicate(&racing),
        "a taken version is refused: {racing:?}"
    );
    assert_eq!(store.workflow_version("repair", 2).await?, Some(v2.clone()));
    assert_eq!(store.workflow_version("repair", 3).await?, None);
    assert_eq!(
        store.workflow_versions("repair").await?,
        vec![v1, v2.clone()]
    );
    let expected = |retired| {
        vec![
            DeployedWorkflow {
                id: "audit".into(),
                latest: 1,
                checksum: [1; 32],
                retired: false,
            },
            DeployedWorkflow {
                id: "repair".into(),
                latest: 2,
                checksum: [2; 32],
                retired,
            },
        ]
    };
    assert_eq!(store.deployed_workflows().await?, expected(false));
    store.retire_workflow("repair", true).await?;
    assert_eq!(store.deployed_workflows().await?, expected(true));
    ensure!(is_not_found(&store.retire_workflow("nothing", true).await));
    store
        .deploy_workflow(&version("repair", 3, "three"))
        .await?;
    let repair = store.deployed_workflows().await?;
    ensure!(
        repair
            .iter()
            .any(|w| w.id == "repair" && w.latest == 3 && !w.retired),
        "a new version takes orders again: {repair:?}"
    );
    Ok(())
}

/// Orders are counted per version of their workflow; a workflow with
/// orders cannot be deleted, one without can.
pub async fn workflow_orders_and_delete(store: &dyn Store) -> Outcome {
    store
        .deploy_workflow(&version("dental-lab", 1, "v1"))
        .await?;
    store
        .deploy_workflow(&version("dental-lab", 2, "v2"))
        .await?;
    store.deploy_workflow(&version("unused", 1, "u")).await?;
    let dental = Flow::dental("clinic", "lab-co")?;
    dental.create(store, "d1", dental_inputs(), at(1)).await?;
    let mut commit =
        dental.create_commit("d2", &dental.customer("customer"), dental_inputs(), at(2))?;
    commit.order.workflow_version = 2;
    store.commit(commit).await?;
    dental.create(store, "d3", dental_inputs(), at(3)).await?;
    assert_eq!(
        store.orders_per_version("dental-lab").await?,
        vec![(1, 2), (2, 1)]
    );
    assert_eq!(
        store.orders_of_version("dental-lab", 1, None, 10).await?,
        vec!["d1".to_owned(), "d3".to_owned()]
    );
    assert_eq!(
        store
            .orders_of_version("dental-lab", 1, Some("d1"), 10)
            .await?,
        vec!["d3".to_owned()]
    );
    assert_eq!(
        store.order("d2").await?.map(|o| o.workflow_version),
        Some(2)
    );
    let refused = store.delete_workflow("dental-lab").await;
    ensure!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "a workflow with orders stays: {refused:?}"
    );
    ensure!(store.workflow_version("dental-lab", 1).await?.is_some());
    store.delete_workflow("unused").await?;
    ensure!(store.workflow_versions("unused").await?.is_empty());
    ensure!(is_not_found(&store.delete_workflow("unused").await));
    Ok(())
}
