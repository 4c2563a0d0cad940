//! The threaded drive: a Rust thread takes batches from the run's schedule and hands them to
//! JavaScript through a thread-safe function, while completions arrive through `finish` on the
//! JavaScript thread and wake the Rust thread.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use super::env::{Env, JsError, JsResult, Value};
use super::sys::*;
use crate::graph::flag;
use crate::schedule::{state, Schedule};

/// A run shared by the JavaScript thread and, while it is driven, the scheduler thread.
pub struct SharedRun {
    pub schedule: Mutex<Schedule>,
    /// Signalled on every `finish` and on `abandon`.
    pub changed: Condvar,
    /// Set by `abandon`: the scheduler thread stops handing out batches.
    pub abandoned: Mutex<bool>,
    /// Set once a scheduler thread drives this run: only then must `finish` wake it, which
    /// costs a futex system call.
    pub driven: AtomicBool,
}

/// Largest batch handed to JavaScript at once.
const BATCH: usize = 256;

/// A thread-safe function handle that may be moved to the scheduler thread.
struct Tsfn(napi_threadsafe_function);

// SAFETY: Node-API documents thread-safe functions as callable and releasable from any thread.
unsafe impl Send for Tsfn {}

/// Starts a scheduler thread for `run` that calls `callback(batch: Uint32Array)` on the
/// JavaScript thread for each batch, until the run is finished or abandoned.
pub fn start(env: Env, run: Arc<SharedRun>, callback: Value) -> JsResult<()> {
    let name = env.string("tawazi.scheduler")?;
    let mut tsfn = ptr::null_mut();
    // SAFETY: `callback` and `name` are live handles of this call; no finalizer or context is
    // used; `call_batch` matches the call_js signature; `tsfn` is a valid out pointer. The queue
    // is unbounded (0) and one thread (the scheduler thread) holds the function.
    let status = unsafe {
        napi_create_threadsafe_function(
            env.0,
            callback.0,
            ptr::null_mut(),
            name.0,
            0,
            1,
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            Some(call_batch),
            &mut tsfn,
        )
    };
    if status != NAPI_OK {
        return Err(JsError::internal(format!("napi_create_threadsafe_function failed with status {status}")));
    }
    // NOTE: the thread-safe function stays referenced until the run finishes or is abandoned,
    // because the event loop must not exit while the thread computes the next batch. So a node
    // that never settles keeps the process alive with this drive.
    let tsfn = Tsfn(tsfn);
    run.driven.store(true, Ordering::SeqCst);
    thread::Builder::new()
        .name("tawazi-scheduler".into())
        .spawn(move || drive(run, tsfn))
        .map_err(|error| JsError::internal(format!("could not start the scheduler thread: {error}")))?;
    Ok(())
}

/// Runs the scheduler thread until the run is finished or abandoned.
fn drive(run: Arc<SharedRun>, tsfn: Tsfn) {
    let mut buffer = vec![0u32; BATCH];
    loop {
        let batch = {
            let Ok(mut schedule) = run.schedule.lock() else { break };
            loop {
                if *run.abandoned.lock().map(|flag| flag).unwrap_or_else(|poisoned| poisoned.into_inner()) || schedule.finished() {
                    break None;
                }
                let count = schedule.take(&mut buffer);
                if count > 0 {
                    break Some(buffer[..count].to_vec());
                }
                schedule = match run.changed.wait(schedule) {
                    Ok(guard) => guard,
                    Err(_) => break None,
                };
            }
        };
        let Some(batch) = batch else { break };
        let last = *batch.last().expect("a batch is never empty");
        let data = Box::into_raw(Box::new(batch));
        // SAFETY: `tsfn` is held by this thread until the release below; `data` is a leaked box
        // that `call_batch` takes back, or that is freed here when the call is refused.
        let status = unsafe { napi_call_threadsafe_function(tsfn.0, data.cast(), NAPI_TSFN_BLOCKING) };
        if status != NAPI_OK {
            // SAFETY: the call was refused (the environment is closing), so `data` was not queued.
            drop(unsafe { Box::from_raw(data) });
            break;
        }
        if !wait_for_blocking(&run, last) {
            break;
        }
    }
    // SAFETY: this thread acquired the function at creation (initial count 1) and releases it once.
    unsafe { napi_release_threadsafe_function(tsfn.0, NAPI_TSFN_RELEASE) };
}

/// After a batch ending with a blocking main-thread node, waits until that node has ended, as
/// the main-thread drive does by awaiting it before taking more. Returns false to stop.
fn wait_for_blocking(run: &SharedRun, node: u32) -> bool {
    let Ok(mut schedule) = run.schedule.lock() else { return false };
    let graph = Arc::clone(schedule.graph());
    if graph.flags[node as usize] & flag::BLOCKING == 0 {
        return true;
    }
    while schedule.states()[node as usize] == state::RUNNING {
        if *run.abandoned.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) {
            return false;
        }
        schedule = match run.changed.wait(schedule) {
            Ok(guard) => guard,
            Err(_) => return false,
        };
    }
    true
}

/// Runs on the JavaScript thread for each batch: passes it to the callback as a Uint32Array.
unsafe extern "C" fn call_batch(raw_env: napi_env, callback: napi_value, _context: *mut c_void, data: *mut c_void) {
    // SAFETY: `data` is the box leaked by `drive` for this call, taken back exactly once.
    let batch = unsafe { Box::from_raw(data as *mut Vec<u32>) };
    if raw_env.is_null() {
        // The environment is shutting down: drop the batch.
        return;
    }
    let env = Env(raw_env);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let Ok(array) = uint32_array(env, &batch) else { return };
        let Ok(undefined) = env.undefined() else { return };
        let mut result = ptr::null_mut();
        // SAFETY: `callback` is the function the thread-safe function was made with; `array` is
        // a live handle of this call.
        let status = unsafe { napi_call_function(env.0, undefined.0, callback, 1, &array.0, &mut result) };
        if status != NAPI_OK {
            // The callback must not throw; clear the exception so it cannot surface elsewhere.
            let mut exception = ptr::null_mut();
            // SAFETY: `exception` is a valid out pointer.
            unsafe { napi_get_and_clear_last_exception(env.0, &mut exception) };
        }
    }));
}

fn uint32_array(env: Env, values: &[u32]) -> JsResult<Value> {
    let mut data = ptr::null_mut();
    let mut buffer = ptr::null_mut();
    // SAFETY: the out pointers are valid; Node allocates `values.len() * 4` bytes.
    let status = unsafe { napi_create_arraybuffer(env.0, values.len() * 4, &mut data, &mut buffer) };
    if status != NAPI_OK {
        return Err(JsError::internal("napi_create_arraybuffer failed"));
    }
    if !values.is_empty() {
        // SAFETY: `data` points to a fresh buffer of `values.len()` u32 values, aligned by Node
        // for any element type, that nothing else references yet.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), data as *mut u32, values.len()) };
    }
    let mut array = ptr::null_mut();
    // SAFETY: `buffer` is the array buffer just made, long enough for `values.len()` elements.
    let status = unsafe { napi_create_typedarray(env.0, NAPI_UINT32_ARRAY, values.len(), buffer, 0, &mut array) };
    if status != NAPI_OK {
        return Err(JsError::internal("napi_create_typedarray failed"));
    }
    Ok(Value(array))
}
