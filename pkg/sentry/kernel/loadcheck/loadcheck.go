// Copyright 2026 The mqsentry Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Package loadcheck reports a checkpoint image that breaks an invariant of
// the IPC objects it holds: the load hooks of package sysvipc, msgqueue, mq
// and ucount fail the restore with an ImageError naming the object and the
// field, and runsc restore prints that error alone (RestoreError; see
// build/edits/restore_image_error.edit). Linux has no counterpart: CRIU
// restores through system calls, which check their input.
package loadcheck

import (
	"errors"
	"fmt"
)

// ImageError reports an IPC object of a checkpoint image that breaks an
// invariant of its kind. A restore must refuse such an image: loading it
// as it is would panic later (an index out of range) or give programs
// what Linux never does (a queue fuller than its limit, a message larger
// than its queue allows).
type ImageError struct {
	// Object names the object: its kind and its id or name.
	Object string
	// Field is the offending field, as the image holds it.
	Field string
	// Problem says what is wrong with the field's value.
	Problem string
}

// Error implements error.Error.
func (e *ImageError) Error() string {
	return fmt.Sprintf("checkpoint image: %s: %s: %s", e.Object, e.Field, e.Problem)
}

// FailLoad aborts the loading of a checkpoint image with an ImageError. It
// is called from the load hooks of saved objects (afterLoad, and the load
// functions of fields saved in another form), where gVisor's state package
// takes a panic as the load's failure: state.Load recovers it and returns
// it as an error.
func FailLoad(object, field, format string, args ...any) {
	panic(&ImageError{Object: object, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// RestoreError returns the ImageError that err, a failed state.Load's
// error, wraps, or err when it wraps none. The state package wraps what a
// load hook panics with in stack traces and a dump of the object being
// loaded, which say nothing about a broken image: runsc restore reports the
// ImageError alone, naming the object and the field.
func RestoreError(err error) error {
	var ie *ImageError
	if errors.As(err, &ie) {
		return ie
	}
	return err
}
