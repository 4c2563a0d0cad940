//! The native scheduler of tawazi. The TypeScript side traces DAGs and runs user functions;
//! this crate owns the compiled graph, its algorithms (cycle check, topological order,
//! compound priority, subgraph masks), the priority ready queue and the concurrency budget.
//!
//! Only `napi` contains `unsafe` code: the Node-API declarations and the exported entries.

#![deny(unsafe_code)]

pub mod algorithms;
pub mod graph;
pub mod napi;
pub mod queue;
pub mod schedule;
pub mod subgraph;

#[cfg(test)]
mod testing;
