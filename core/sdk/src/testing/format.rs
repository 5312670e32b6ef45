//! Format behaviour suite.
