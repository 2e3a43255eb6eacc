//! Reference programs for the workspace. The `/talk` server of the original document comes
//! here; until then, the runnable example is `sse-core`'s `decode` (see the README).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
