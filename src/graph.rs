//! Microsoft Graph client: models, errors, paging, retry. Knows no terminal.

pub mod client;
pub mod error;
pub mod models;
pub mod odata;

pub use client::{
    AppLookup, AppQuery, GraphClient, Page, RemoveOutcome, RetryPolicy, collect_pages,
};
pub use error::{ApiError, Cause, GraphError};
pub use models::*;
