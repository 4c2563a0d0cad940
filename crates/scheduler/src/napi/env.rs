//! Thin safe wrappers over the raw declarations: every status becomes a `Result`, and every
//! value read from JavaScript is checked for its type before use.

use std::ffi::c_void;
use std::ptr;

use super::sys::*;

/// An error to throw in JavaScript, with one of the `ERR_TAWAZI_*` codes of `src/errors.ts`.
#[derive(Debug, Clone)]
pub struct JsError {
    pub code: &'static str,
    pub message: String,
    /// Node indices of a dependency cycle, set on the error as `cycle`.
    pub cycle: Option<Vec<u32>>,
}

impl JsError {
    pub fn usage(message: impl Into<String>) -> JsError {
        JsError { code: "ERR_TAWAZI_USAGE", message: message.into(), cycle: None }
    }

    pub fn internal(message: impl Into<String>) -> JsError {
        JsError { code: "ERR_TAWAZI", message: message.into(), cycle: None }
    }
}

pub type JsResult<T> = Result<T, JsError>;

/// The environment of the current call; valid only during that call.
#[derive(Clone, Copy)]
pub struct Env(pub napi_env);

/// A JavaScript value handle; valid only during the call that received or made it.
#[derive(Clone, Copy)]
pub struct Value(pub napi_value);

fn check(status: napi_status, what: &str) -> JsResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(JsError::internal(format!("Node-API call {what} failed with status {status}")))
    }
}

impl Env {
    /// Reads up to `N` arguments; missing ones are `undefined`.
    pub fn args<const N: usize>(&self, info: napi_callback_info) -> JsResult<[Value; N]> {
        let mut argc = N;
        let mut argv = [ptr::null_mut(); N];
        // SAFETY: `info` is the callback info of the current call, `argv` has room for `argc`
        // values, and Node writes at most `argc` of them.
        let status = unsafe {
            napi_get_cb_info(self.0, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut())
        };
        check(status, "napi_get_cb_info")?;
        let undefined = self.undefined()?;
        Ok(argv.map(|value| if value.is_null() { undefined } else { Value(value) }))
    }

    pub fn type_of(&self, value: Value) -> JsResult<i32> {
        let mut kind = 0;
        // SAFETY: `value` is a live handle of this call and `kind` is a valid out pointer.
        let status = unsafe { napi_typeof(self.0, value.0, &mut kind) };
        check(status, "napi_typeof")?;
        Ok(kind)
    }

    pub fn is_nullish(&self, value: Value) -> JsResult<bool> {
        let kind = self.type_of(value)?;
        Ok(kind == NAPI_UNDEFINED || kind == NAPI_NULL)
    }

    /// Returns the data of a typed array of the expected element type, as raw parts.
    fn typed_array(&self, value: Value, expected: i32, what: &str) -> JsResult<(*mut c_void, usize)> {
        let mut is_typed = false;
        // SAFETY: `value` is a live handle and `is_typed` a valid out pointer.
        let status = unsafe { napi_is_typedarray(self.0, value.0, &mut is_typed) };
        check(status, "napi_is_typedarray")?;
        let mut kind = -1;
        let mut length = 0;
        let mut data = ptr::null_mut();
        if is_typed {
            // SAFETY: `value` is a typed array (checked above); the out pointers are valid and
            // the buffer and offset outputs are not requested.
            let status = unsafe {
                napi_get_typedarray_info(self.0, value.0, &mut kind, &mut length, &mut data, ptr::null_mut(), ptr::null_mut())
            };
            check(status, "napi_get_typedarray_info")?;
        }
        if kind != expected {
            let name = match expected {
                NAPI_UINT8_ARRAY => "Uint8Array",
                NAPI_UINT32_ARRAY => "Uint32Array",
                _ => "Float64Array",
            };
            return Err(JsError::usage(format!("{what} must be a {name}")));
        }
        Ok((data, length))
    }

    /// Copies a `Uint32Array`.
    pub fn u32_vec(&self, value: Value, what: &str) -> JsResult<Vec<u32>> {
        let (data, length) = self.typed_array(value, NAPI_UINT32_ARRAY, what)?;
        if length == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: Node reported a Uint32Array of `length` elements at `data`, which is aligned
        // for u32 and stays valid during this call; the slice is copied before returning.
        Ok(unsafe { std::slice::from_raw_parts(data as *const u32, length) }.to_vec())
    }

    /// Copies the first `count` elements of a `Uint32Array`.
    pub fn u32_prefix(&self, value: Value, count: usize, what: &str) -> JsResult<Vec<u32>> {
        let (data, length) = self.typed_array(value, NAPI_UINT32_ARRAY, what)?;
        if count > length {
            return Err(JsError::usage(format!("{what} has {length} values, fewer than the {count} expected")));
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: Node reported a Uint32Array of `length` ≥ `count` elements at `data`, aligned
        // for u32 and valid during this call; the first `count` are copied before returning.
        Ok(unsafe { std::slice::from_raw_parts(data as *const u32, count) }.to_vec())
    }

    /// Copies a `Uint8Array`.
    pub fn u8_vec(&self, value: Value, what: &str) -> JsResult<Vec<u8>> {
        let (data, length) = self.typed_array(value, NAPI_UINT8_ARRAY, what)?;
        if length == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: Node reported a Uint8Array of `length` bytes at `data`, valid during this
        // call; the slice is copied before returning.
        Ok(unsafe { std::slice::from_raw_parts(data as *const u8, length) }.to_vec())
    }

    /// Copies a `Float64Array`.
    pub fn f64_vec(&self, value: Value, what: &str) -> JsResult<Vec<f64>> {
        let (data, length) = self.typed_array(value, NAPI_FLOAT64_ARRAY, what)?;
        if length == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: Node reported a Float64Array of `length` elements at `data`, aligned for f64
        // and valid during this call; the slice is copied before returning.
        Ok(unsafe { std::slice::from_raw_parts(data as *const f64, length) }.to_vec())
    }

    /// Runs `write` on the elements of a `Uint32Array`, in place.
    pub fn with_u32_out<T>(&self, value: Value, what: &str, write: impl FnOnce(&mut [u32]) -> T) -> JsResult<T> {
        let (data, length) = self.typed_array(value, NAPI_UINT32_ARRAY, what)?;
        if length == 0 {
            return Ok(write(&mut []));
        }
        // SAFETY: Node reported a Uint32Array of `length` elements at `data`, aligned for u32;
        // no other Rust reference to this memory exists during `write`, and JavaScript cannot
        // run while this synchronous call holds the thread.
        let slice = unsafe { std::slice::from_raw_parts_mut(data as *mut u32, length) };
        Ok(write(slice))
    }

    /// Runs `write` on the bytes of a `Uint8Array`, in place.
    pub fn with_u8_out<T>(&self, value: Value, what: &str, write: impl FnOnce(&mut [u8]) -> T) -> JsResult<T> {
        let (data, length) = self.typed_array(value, NAPI_UINT8_ARRAY, what)?;
        if length == 0 {
            return Ok(write(&mut []));
        }
        // SAFETY: as in `with_u32_out`, for a Uint8Array of `length` bytes.
        let slice = unsafe { std::slice::from_raw_parts_mut(data as *mut u8, length) };
        Ok(write(slice))
    }

    /// Runs `write` on the elements of a `Float64Array`, in place.
    pub fn with_f64_out<T>(&self, value: Value, what: &str, write: impl FnOnce(&mut [f64]) -> T) -> JsResult<T> {
        let (data, length) = self.typed_array(value, NAPI_FLOAT64_ARRAY, what)?;
        if length == 0 {
            return Ok(write(&mut []));
        }
        // SAFETY: as in `with_u32_out`, for a Float64Array of `length` elements.
        let slice = unsafe { std::slice::from_raw_parts_mut(data as *mut f64, length) };
        Ok(write(slice))
    }

    pub fn f64(&self, value: Value, what: &str) -> JsResult<f64> {
        if self.type_of(value)? != NAPI_NUMBER {
            return Err(JsError::usage(format!("{what} must be a number")));
        }
        let mut result = 0.0;
        // SAFETY: `value` is a number (checked above) and `result` a valid out pointer.
        let status = unsafe { napi_get_value_double(self.0, value.0, &mut result) };
        check(status, "napi_get_value_double")?;
        Ok(result)
    }

    /// Reads a number that must be an integer in `0..=u32::MAX`.
    pub fn u32(&self, value: Value, what: &str) -> JsResult<u32> {
        let number = self.f64(value, what)?;
        if number.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&number) {
            return Err(JsError::usage(format!("{what} must be an integer from 0 to 2^32 - 1, received {number}")));
        }
        Ok(number as u32)
    }

    pub fn boolean(&self, value: bool) -> JsResult<Value> {
        let mut result = ptr::null_mut();
        // SAFETY: `result` is a valid out pointer.
        let status = unsafe { napi_get_boolean(self.0, value, &mut result) };
        check(status, "napi_get_boolean")?;
        Ok(Value(result))
    }

    pub fn uint32(&self, value: u32) -> JsResult<Value> {
        let mut result = ptr::null_mut();
        // SAFETY: `result` is a valid out pointer.
        let status = unsafe { napi_create_uint32(self.0, value, &mut result) };
        check(status, "napi_create_uint32")?;
        Ok(Value(result))
    }

    pub fn undefined(&self) -> JsResult<Value> {
        let mut result = ptr::null_mut();
        // SAFETY: `result` is a valid out pointer.
        let status = unsafe { napi_get_undefined(self.0, &mut result) };
        check(status, "napi_get_undefined")?;
        Ok(Value(result))
    }

    pub fn string(&self, text: &str) -> JsResult<Value> {
        let mut result = ptr::null_mut();
        // SAFETY: `text` points to `text.len()` bytes of valid UTF-8 and `result` is a valid
        // out pointer; Node copies the bytes.
        let status = unsafe { napi_create_string_utf8(self.0, text.as_ptr().cast(), text.len(), &mut result) };
        check(status, "napi_create_string_utf8")?;
        Ok(Value(result))
    }

    /// Wraps `data` in a JavaScript external tagged with `tag`; the box is dropped when the
    /// external is garbage collected.
    pub fn external<T: 'static>(&self, data: T, tag: &'static napi_type_tag) -> JsResult<Value> {
        unsafe extern "C" fn finalize<T>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
            // SAFETY: `data` is the pointer made by `Box::into_raw` below for this external,
            // and Node calls the finalizer exactly once.
            drop(unsafe { Box::from_raw(data as *mut T) });
        }
        let raw = Box::into_raw(Box::new(data));
        let mut result = ptr::null_mut();
        // SAFETY: `raw` is a valid heap pointer owned by the external from now on; the
        // finalizer matches its type.
        let status = unsafe { napi_create_external(self.0, raw.cast(), Some(finalize::<T>), ptr::null_mut(), &mut result) };
        if status != NAPI_OK {
            // SAFETY: the external was not created, so `raw` is still owned here.
            drop(unsafe { Box::from_raw(raw) });
            return Err(JsError::internal(format!("Node-API call napi_create_external failed with status {status}")));
        }
        // SAFETY: `result` is the external just created and `tag` a valid static tag.
        let status = unsafe { napi_type_tag_object(self.0, result, tag) };
        check(status, "napi_type_tag_object")?;
        Ok(Value(result))
    }

    /// Returns the data of an external made by `external` with the same `tag`; any other value
    /// is a usage error, never a wrong pointer. The reference is valid for the current call
    /// only (the external, an argument of the call, keeps the data alive until it returns).
    pub fn external_ref<'call, T: 'static>(
        &self,
        value: Value,
        tag: &'static napi_type_tag,
        what: &str,
    ) -> JsResult<&'call T> {
        if self.type_of(value)? != NAPI_EXTERNAL {
            return Err(JsError::usage(format!("{what} is not a handle made by this addon")));
        }
        let mut tagged = false;
        // SAFETY: `value` is an external (checked above) and the pointers are valid.
        let status = unsafe { napi_check_object_type_tag(self.0, value.0, tag, &mut tagged) };
        check(status, "napi_check_object_type_tag")?;
        if !tagged {
            return Err(JsError::usage(format!("{what} is a handle of another kind")));
        }
        let mut data = ptr::null_mut();
        // SAFETY: `value` is an external and `data` a valid out pointer.
        let status = unsafe { napi_get_value_external(self.0, value.0, &mut data) };
        check(status, "napi_get_value_external")?;
        // SAFETY: the tag proves this external was made by `external::<T>` with this tag, so
        // `data` points to a live `T`, kept alive by the external during this call.
        Ok(unsafe { &*(data as *const T) })
    }

    /// Throws `error` as a JavaScript `Error` with `code` (and `cycle`, when set).
    pub fn throw(&self, error: &JsError) {
        let build = || -> JsResult<Value> {
            let code = self.string(error.code)?;
            let message = self.string(&error.message)?;
            let mut result = ptr::null_mut();
            // SAFETY: `code` and `message` are live strings of this call.
            let status = unsafe { napi_create_error(self.0, code.0, message.0, &mut result) };
            check(status, "napi_create_error")?;
            let js_error = Value(result);
            if let Some(cycle) = &error.cycle {
                let mut array = ptr::null_mut();
                // SAFETY: `array` is a valid out pointer.
                let status = unsafe { napi_create_array_with_length(self.0, cycle.len(), &mut array) };
                check(status, "napi_create_array_with_length")?;
                for (position, node) in cycle.iter().enumerate() {
                    let element = self.uint32(*node)?;
                    // SAFETY: `array` is the array just created; the index is within its length.
                    let status = unsafe { napi_set_element(self.0, array, position as u32, element.0) };
                    check(status, "napi_set_element")?;
                }
                // SAFETY: `js_error` is an object and the name a NUL-terminated literal.
                let status = unsafe { napi_set_named_property(self.0, js_error.0, c"cycle".as_ptr(), array) };
                check(status, "napi_set_named_property")?;
            }
            Ok(js_error)
        };
        let mut pending = false;
        // SAFETY: `pending` is a valid out pointer.
        let _ = unsafe { napi_is_exception_pending(self.0, &mut pending) };
        if pending {
            return;
        }
        if let Ok(js_error) = build() {
            // SAFETY: `js_error` is a live error object of this call.
            let _ = unsafe { napi_throw(self.0, js_error.0) };
        }
    }

    /// Sets `exports[name]` to a JavaScript function calling `callback`.
    pub fn export(&self, exports: Value, name: &'static std::ffi::CStr, callback: napi_callback) -> JsResult<()> {
        let mut function = ptr::null_mut();
        // SAFETY: `name` is NUL-terminated; NAPI_AUTO_LENGTH (usize::MAX) reads up to the NUL.
        let status = unsafe { napi_create_function(self.0, name.as_ptr(), usize::MAX, callback, ptr::null_mut(), &mut function) };
        check(status, "napi_create_function")?;
        // SAFETY: `exports` is the module's exports object and `function` was just created.
        let status = unsafe { napi_set_named_property(self.0, exports.0, name.as_ptr(), function) };
        check(status, "napi_set_named_property")
    }
}
