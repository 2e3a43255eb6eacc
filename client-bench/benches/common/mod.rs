//! What the client bench is made of: the streams, the server, the clients driven the way
//! their documentation shows, and the measurements (thread CPU time, heap bytes held).

pub mod clients;
pub mod corpus;
pub mod measure;
pub mod report;
pub mod server;
