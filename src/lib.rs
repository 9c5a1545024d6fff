//! azsecrets: a keyboard-first terminal UI (and scripting twin) for Azure app registration
//! client secrets, speaking the real Microsoft Graph, with an emulated tenant (the sandbox).

pub mod app;
pub mod auth;
pub mod cli;
pub mod create;
pub mod expiry;
pub mod graph;
pub mod handoff;
pub mod ids;
pub mod journal;
pub mod keymap;
pub mod logging;
pub mod new_secret;
pub mod paths;
pub mod sandbox;
pub mod secret;
pub mod session;
pub mod tui;
pub mod ui;
