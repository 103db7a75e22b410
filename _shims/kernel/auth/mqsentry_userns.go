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

package auth

// MqsentryParent returns ns's parent, nil for a root user namespace.
// mqsentry adds this accessor (no logic) so that package ucount can charge
// a new IPC namespace to every user namespace above it, as Linux does.
// With MqsentryOwner it is the contract ucount.Ancestry, which
// _shims/syscalls/linux asserts at compile time.
func (ns *UserNamespace) MqsentryParent() *UserNamespace { return ns.parent }

// MqsentryOwner returns the effective kuid of ns's creator, which Linux
// charges in ns's parent (user_namespace.ucounts).
func (ns *UserNamespace) MqsentryOwner() KUID { return ns.owner }
