//! How a host is reached: the system ssh (one master per connection, its forwards), the
//! remote shell and the long-lived poll shells on it, and TLS and HTTP over them.

pub mod forwards;
pub mod http;
pub mod link;
pub mod poll_shell;
pub mod remote;
pub mod ssh;
pub mod tls;
