//! Microsoft Graph client: models, errors, paging, retry. Knows no terminal.

pub mod claims;
pub mod client;
pub mod error;
pub mod listing;
pub mod models;
pub mod odata;

pub use claims::TokenClaims;
pub use client::{
    AppLookup, AppQuery, GraphClient, Listing, Page, RemoveOutcome, RetryEvent, RetryObserver,
    RetryPolicy, RetryWait, collect_listing, collect_pages,
};
pub use error::{ApiError, Cause, GraphError, NotSent};
pub use listing::{AppPatch, Changes, DeltaPage, ScanEvent, ScanOptions};
pub use models::*;
