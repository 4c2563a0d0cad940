//! Node-API bindings: the only module allowed `unsafe` code. `sys` declares the C functions,
//! `env` wraps them safely, and this file exports the addon's functions. Every entry catches
//! panics and Rust errors and throws them as JavaScript errors with `ERR_TAWAZI_*` codes.

#![allow(unsafe_code)]

mod drive;
mod env;
mod sys;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, Condvar, Mutex};

use env::{Env, JsError, JsResult, Value};
use sys::{napi_callback_info, napi_env, napi_type_tag, napi_value};

use crate::graph::{Graph, GraphError};
use crate::schedule::Schedule;

/// Type tags telling this addon's handles apart from any other external.
static GRAPH_TAG: napi_type_tag = napi_type_tag { lower: 0x7461_7761_7a69_0001, upper: 0x6772_6170_6800_0001 };
static RUN_TAG: napi_type_tag = napi_type_tag { lower: 0x7461_7761_7a69_0002, upper: 0x7275_6e00_0000_0002 };

type RunHandle = Arc<drive::SharedRun>;

/// Defines an `extern "C"` entry around a safe body: panics and errors become JS exceptions.
macro_rules! entry {
    ($name:ident, $body:ident) => {
        unsafe extern "C" fn $name(raw_env: napi_env, info: napi_callback_info) -> napi_value {
            let env = Env(raw_env);
            match catch_unwind(AssertUnwindSafe(|| $body(env, info))) {
                Ok(Ok(value)) => value.0,
                Ok(Err(error)) => {
                    env.throw(&error);
                    ptr::null_mut()
                }
                Err(_) => {
                    env.throw(&JsError {
                        code: "ERR_TAWAZI_NATIVE_PANIC",
                        message: format!("the native scheduler failed inside {}; this is a bug of tawazi", stringify!($body)),
                        cycle: None,
                    });
                    ptr::null_mut()
                }
            }
        }
    };
}

/// `createGraph(parentOffsets: Uint32Array, parents: Uint32Array, flags: Uint8Array,
/// priority: Float64Array)`: validates and compiles a graph; throws ERR_TAWAZI_CYCLE with
/// `cycle` (node indices) for a cycle.
fn create_graph(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [offsets, parents, flags, priority] = env.args::<4>(info)?;
    let graph = Graph::new(
        env.u32_vec(offsets, "parentOffsets")?,
        env.u32_vec(parents, "parents")?,
        env.u8_vec(flags, "flags")?,
        env.f64_vec(priority, "priority")?,
    )
    .map_err(|error| match error {
        GraphError::Invalid(message) => JsError::usage(format!("createGraph(): {message}")),
        GraphError::Cycle(cycle) => JsError { code: "ERR_TAWAZI_CYCLE", message: "dependency cycle".into(), cycle: Some(cycle) },
    })?;
    env.external(Arc::new(graph), &GRAPH_TAG)
}

/// `compoundPriorities(graph, out: Float64Array)`: copies the compound priorities into `out`.
fn compound_priorities(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [graph, out] = env.args::<2>(info)?;
    let graph: &Arc<Graph> = env.external_ref(graph, &GRAPH_TAG, "graph")?;
    env.with_f64_out(out, "out", |out| copy_into(out, &graph.compound_priority))??;
    env.undefined()
}

/// `topologicalOrder(graph, out: Uint32Array)`: copies the topological order into `out`.
fn topological_order(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [graph, out] = env.args::<2>(info)?;
    let graph: &Arc<Graph> = env.external_ref(graph, &GRAPH_TAG, "graph")?;
    env.with_u32_out(out, "out", |out| copy_into(out, &graph.topological_order))??;
    env.undefined()
}

/// Builds the schedule of a new run from the arguments `graph, mask, maxConcurrency, behavior`
/// of `createRun` and `resetRun`; `method` names the caller in messages.
fn new_schedule(env: Env, [graph, mask, max_concurrency, behavior]: [Value; 4], method: &str) -> JsResult<Schedule> {
    let graph: &Arc<Graph> = env.external_ref(graph, &GRAPH_TAG, "graph")?;
    let mask = if env.is_nullish(mask)? { None } else { Some(env.u8_vec(mask, "mask")?) };
    let limit = env.f64(max_concurrency, "maxConcurrency")?;
    let max_concurrency = if limit == f64::INFINITY {
        u64::MAX
    } else if limit >= 1.0 && limit.fract() == 0.0 && limit <= 9_007_199_254_740_991.0 {
        limit as u64
    } else {
        return Err(JsError::usage(format!("{method}(): maxConcurrency must be an integer ≥ 1 or Infinity, received {limit}")));
    };
    let behavior = env.u32(behavior, "behavior")?;
    let behavior = u8::try_from(behavior).map_err(|_| JsError::usage(format!("{method}(): unknown behavior {behavior}")))?;
    Schedule::new(Arc::clone(graph), mask, max_concurrency, behavior).map_err(|message| JsError::usage(format!("{method}(): {message}")))
}

/// `createRun(graph, mask: Uint8Array | null, maxConcurrency: number, behavior: number)`.
fn create_run(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let schedule = new_schedule(env, env.args::<4>(info)?, "createRun")?;
    let shared = drive::SharedRun {
        schedule: Mutex::new(schedule),
        changed: Condvar::new(),
        abandoned: Mutex::new(false),
        driven: std::sync::atomic::AtomicBool::new(false),
    };
    env.external::<RunHandle>(Arc::new(shared), &RUN_TAG)
}

/// `resetRun(run, graph, mask, maxConcurrency, behavior)`: starts a new run in the handle of a
/// finished one, with the arguments of `createRun`. Reusing handles keeps memory flat when
/// runs follow each other without a turn of the event loop, since Node runs the finalizers
/// that free a handle only on a later turn. A run driven by a scheduler thread cannot be reset.
fn reset_run(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run, graph, mask, max_concurrency, behavior] = env.args::<5>(info)?;
    let handle = shared(env, run)?;
    if handle.driven.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(JsError::usage("resetRun(): a run driven by a scheduler thread cannot be reset"));
    }
    let schedule = new_schedule(env, [graph, mask, max_concurrency, behavior], "resetRun")?;
    *lock_shared(handle)? = schedule;
    *handle.abandoned.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = false;
    env.undefined()
}

fn shared<'a>(env: Env, run: Value) -> JsResult<&'a RunHandle> {
    env.external_ref(run, &RUN_TAG, "run")
}

fn lock<'a>(env: Env, run: Value) -> JsResult<std::sync::MutexGuard<'a, Schedule>> {
    lock_shared(shared(env, run)?)
}

fn lock_shared(handle: &RunHandle) -> JsResult<std::sync::MutexGuard<'_, Schedule>> {
    // A poisoned lock means a panic happened while it was held; the state may be torn.
    handle
        .schedule
        .lock()
        .map_err(|_| JsError::internal("the native run was left inconsistent by an earlier failure"))
}

/// `take(run, out: Uint32Array)`: writes the nodes that may start now; returns their count.
fn take(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run, out] = env.args::<2>(info)?;
    let mut schedule = lock(env, run)?;
    let count = env.with_u32_out(out, "out", |out| schedule.take(out))?;
    env.uint32(count as u32)
}

/// `finish(run, node: number, outcome: number)`: reports that a node ended; returns whether the
/// run is finished.
fn finish(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run, node, outcome] = env.args::<3>(info)?;
    let node = env.u32(node, "node")?;
    let outcome = env.u32(outcome, "outcome")?;
    let handle = shared(env, run)?;
    let mut schedule = lock_shared(handle)?;
    let outcome = u8::try_from(outcome).map_err(|_| JsError::usage(format!("finish(): unknown outcome {outcome}")))?;
    schedule.finish(node, outcome).map_err(|message| JsError::usage(format!("finish(): {message}")))?;
    let finished = schedule.finished();
    drop(schedule);
    if handle.driven.load(std::sync::atomic::Ordering::SeqCst) {
        handle.changed.notify_all();
    }
    env.boolean(finished)
}

/// Applies `count` buffered completions, `completions[2i]` the node and `completions[2i + 1]`
/// the outcome, in order.
fn apply_completions(env: Env, schedule: &mut Schedule, completions: Value, count: Value) -> JsResult<()> {
    let count = env.u32(count, "count")? as usize;
    let pairs = env.u32_prefix(completions, count * 2, "completions")?;
    for pair in pairs.chunks_exact(2) {
        let outcome = u8::try_from(pair[1]).map_err(|_| JsError::usage(format!("finish(): unknown outcome {}", pair[1])))?;
        schedule.finish(pair[0], outcome).map_err(|message| JsError::usage(format!("finish(): {message}")))?;
    }
    Ok(())
}

/// `finishAndTake(run, completions: Uint32Array, count: number, out: Uint32Array)`: applies
/// `count` buffered completions, then takes the next batch into `out`; returns its size. One
/// call per batch instead of one per finished node.
fn finish_and_take(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run, completions, count, out] = env.args::<4>(info)?;
    let mut schedule = lock(env, run)?;
    apply_completions(env, &mut schedule, completions, count)?;
    let taken = env.with_u32_out(out, "out", |out| schedule.take(out))?;
    env.uint32(taken as u32)
}

/// `finishMany(run, completions: Uint32Array, count: number)`: applies buffered completions;
/// returns whether the run is finished.
fn finish_many(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run, completions, count] = env.args::<3>(info)?;
    let mut schedule = lock(env, run)?;
    apply_completions(env, &mut schedule, completions, count)?;
    env.boolean(schedule.finished())
}

/// `driveOnThread(run, callback)`: starts a scheduler thread that calls `callback(batch)` on
/// the JavaScript thread with each batch of nodes to launch, until the run is finished or
/// abandoned. Completions still go through `finish`.
fn drive_on_thread(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run, callback] = env.args::<2>(info)?;
    if env.type_of(callback)? != sys::NAPI_FUNCTION {
        return Err(JsError::usage("driveOnThread(): callback must be a function"));
    }
    drive::start(env, Arc::clone(shared(env, run)?), callback)?;
    env.undefined()
}

/// `abandon(run)`: stops the scheduler thread of a run that ended early (a strict failure).
fn abandon(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run] = env.args::<1>(info)?;
    let handle = shared(env, run)?;
    // Hold the schedule's lock while setting the flag, so the scheduler thread cannot check the
    // flag and then start waiting in between (a lost wake-up).
    let guard = handle.schedule.lock();
    *handle.abandoned.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
    drop(guard);
    handle.changed.notify_all();
    env.undefined()
}

/// `isFinished(run)`: whether every selected node ended, or a strict run stopped.
fn is_finished(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run] = env.args::<1>(info)?;
    let schedule = lock(env, run)?;
    env.boolean(schedule.finished())
}

/// `copyStates(run, out: Uint8Array)`: copies the node states into `out`.
fn copy_states(env: Env, info: napi_callback_info) -> JsResult<Value> {
    let [run, out] = env.args::<2>(info)?;
    let schedule = lock(env, run)?;
    env.with_u8_out(out, "out", |out| copy_into(out, schedule.states()))??;
    env.undefined()
}

/// `panicForTesting()`: panics on purpose, so tests can check that a panic becomes a JS error
/// with code ERR_TAWAZI_NATIVE_PANIC instead of aborting the process.
fn panic_for_testing(_env: Env, _info: napi_callback_info) -> JsResult<Value> {
    panic!("panic requested by panicForTesting()");
}

fn copy_into<T: Copy>(out: &mut [T], source: &[T]) -> JsResult<()> {
    if out.len() != source.len() {
        return Err(JsError::usage(format!("out has {} elements, expected {}", out.len(), source.len())));
    }
    out.copy_from_slice(source);
    Ok(())
}

entry!(create_graph_entry, create_graph);
entry!(compound_priorities_entry, compound_priorities);
entry!(topological_order_entry, topological_order);
entry!(create_run_entry, create_run);
entry!(reset_run_entry, reset_run);
entry!(take_entry, take);
entry!(finish_entry, finish);
entry!(is_finished_entry, is_finished);
entry!(copy_states_entry, copy_states);
entry!(panic_for_testing_entry, panic_for_testing);
entry!(drive_on_thread_entry, drive_on_thread);
entry!(abandon_entry, abandon);
entry!(finish_and_take_entry, finish_and_take);
entry!(finish_many_entry, finish_many);

fn register(env: Env, exports: Value) -> JsResult<()> {
    env.export(exports, c"createGraph", Some(create_graph_entry))?;
    env.export(exports, c"compoundPriorities", Some(compound_priorities_entry))?;
    env.export(exports, c"topologicalOrder", Some(topological_order_entry))?;
    env.export(exports, c"createRun", Some(create_run_entry))?;
    env.export(exports, c"resetRun", Some(reset_run_entry))?;
    env.export(exports, c"take", Some(take_entry))?;
    env.export(exports, c"finish", Some(finish_entry))?;
    env.export(exports, c"isFinished", Some(is_finished_entry))?;
    env.export(exports, c"copyStates", Some(copy_states_entry))?;
    env.export(exports, c"panicForTesting", Some(panic_for_testing_entry))?;
    env.export(exports, c"driveOnThread", Some(drive_on_thread_entry))?;
    env.export(exports, c"abandon", Some(abandon_entry))?;
    env.export(exports, c"finishAndTake", Some(finish_and_take_entry))?;
    env.export(exports, c"finishMany", Some(finish_many_entry))?;
    Ok(())
}

/// The module initializer Node calls when the addon loads, once per environment (the main
/// thread and each worker thread).
///
/// # Safety
/// Node calls it with the environment being initialised and its `exports` object, on that
/// environment's thread.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(raw_env: napi_env, exports: napi_value) -> napi_value {
    let env = Env(raw_env);
    match catch_unwind(AssertUnwindSafe(|| register(env, Value(exports)))) {
        Ok(Ok(())) => exports,
        Ok(Err(error)) => {
            env.throw(&error);
            ptr::null_mut()
        }
        Err(_) => {
            env.throw(&JsError::internal("the native scheduler failed while loading"));
            ptr::null_mut()
        }
    }
}
