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

// Package mq is gVisor's POSIX message queue package, replaced by
// mqsentry's: the kernel's IPCNamespace holds mqsentry's registry.
package mq

import ourmq "github.com/mqsentry/mqsentry/pkg/sentry/kernel/mq"

// Registry is mqsentry's registry.
type Registry = ourmq.Registry

// RegistryImpl is mqsentry's registry filesystem interface.
type RegistryImpl = ourmq.RegistryImpl

// NewRegistry is mqsentry's constructor.
var NewRegistry = ourmq.NewRegistry
