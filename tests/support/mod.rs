//! Shared harness for the end-to-end tests: a static file server that serves
//! the release build under a sub-path as GitHub Pages does, and a small
//! blocking WebDriver client for Debian's Chromium through chromedriver.
#![allow(dead_code)] // each test binary uses a different part

pub mod app;
pub mod events;
pub mod static_server;
pub mod webdriver;
