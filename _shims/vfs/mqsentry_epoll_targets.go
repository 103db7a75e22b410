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

package vfs

// ForEachInterest calls fn with each file registered in ep and the descriptor
// number it was registered under, with ep's interest mutex held. mqsentry
// adds this accessor for kcmp(KCMP_EPOLL_TFD); it is the contract
// EpollTargets of mqsentry's pkg/sentry/syscalls/linux, which
// _shims/syscalls/linux asserts at compile time.
func (ep *EpollInstance) ForEachInterest(fn func(file *FileDescription, num int32)) {
	ep.interestMu.Lock()
	defer ep.interestMu.Unlock()
	for key := range ep.interest {
		fn(key.file, key.num)
	}
}
