//! Unit tests of the listing.
