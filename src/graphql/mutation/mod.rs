//! The mutation root: one object per concept, merged. Every mutation takes one `input`
//! and returns a payload; every successful one is a transaction with its audit event.

mod assessment;
mod configuration;
mod intake;
mod progress;
mod tokens;
mod values;

use async_graphql::MergedObject;

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    values::ValueMutation,
    progress::ProgressMutation,
    configuration::ConfigurationMutation,
    assessment::AssessmentMutation,
    tokens::TokenMutation,
    intake::IntakeMutation,
);
