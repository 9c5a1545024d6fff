//! azsecrets: a keyboard-first terminal UI (and scripting twin) for Azure app registration
//! client secrets, speaking the real Microsoft Graph, with an emulated tenant (the sandbox).

pub mod app;
pub mod arm;
pub mod auth;
pub mod catalog;
pub mod certs;
pub mod cli;
pub mod console;
pub mod create;
pub mod destination;
pub mod expiry;
pub mod federated;
pub mod fuzzy;
pub mod graph;
pub mod handoff;
pub mod hardening;
pub mod http;
pub mod ids;
pub mod journal;
pub mod keycreds;
pub mod keymap;
pub mod keyvault;
pub mod logging;
pub mod new_secret;
pub mod paths;
pub mod policy;
pub mod prefs;
pub mod sandbox;
pub mod sanitize;
pub mod secret;
pub mod session;
pub mod tenants;
pub mod tui;
pub mod ui;
pub mod verify;
