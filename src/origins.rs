//! Where each logical ID of a composed template came from (its fragment
//! file), so render, validation and dashboard errors can name it. Below all
//! three; it imports nothing.

use std::collections::HashMap;

/// Logical ID (or `Section:ID`) -> `templates/<fragment>.yaml`.
pub type Origins = HashMap<String, String>;
