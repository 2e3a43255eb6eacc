//! What the benches share: the corpora, and the peers behind one signature.
#![allow(dead_code)]

pub mod corpus;
pub mod peers;
