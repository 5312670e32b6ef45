//! Backend behaviour suite.
