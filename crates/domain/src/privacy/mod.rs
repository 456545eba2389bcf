//! Privacy rules shared by every layer.

pub mod masking;
