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

package mm

import (
	"gvisor.dev/gvisor/pkg/hostarch"
	"gvisor.dev/gvisor/pkg/sentry/memmap"
)

// ForEachMapping calls fn with the bounds and the MappingIdentity (nil for
// anonymous memory) of each vma, in address order, until fn returns false.
// fn runs with mm.mappingMu read-locked and must not call into mm. mqsentry
// adds this accessor for /proc/PID/map_files; it is the contract
// taskproc.MappingLister, which _shims/fsimpl/proc asserts at compile time.
func (mm *MemoryManager) ForEachMapping(fn func(start, end hostarch.Addr, id memmap.MappingIdentity) bool) {
	mm.mappingMu.RLock()
	defer mm.mappingMu.RUnlock()
	for vseg := mm.vmas.FirstSegment(); vseg.Ok(); vseg = vseg.NextSegment() {
		if !fn(vseg.Start(), vseg.End(), vseg.ValuePtr().id) {
			return
		}
	}
}
