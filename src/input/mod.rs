//! What the operator can ask for: the actions, the keymaps that bind keys to them, and
//! the terminal's alt-key spellings.

pub mod action;
pub mod alt_keys;
pub mod keymap;
