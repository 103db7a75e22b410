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

// Ledger messages of the self-checking C programs (test/fuzz/ipcfuzz.c,
// test/stress/c/mqstress.c): every message starts with a header naming its
// sender, sequence number, queue generation and class, and carries a
// checksum of the header and the body, so a receiver can tell a message
// that was lost, duplicated, corrupted or delivered to the wrong queue.
#ifndef MQSENTRY_TEST_COMMON_LEDGER_H_
#define MQSENTRY_TEST_COMMON_LEDGER_H_

#include <stddef.h>
#include <stdint.h>

struct ledger_hdr {
  uint32_t magic, sender, seq, gen, cls, len, csum, pad;
};
#define HDR ((int)sizeof(struct ledger_hdr))

// ledger_fnv is FNV-1a over n bytes, continuing from h.
static inline uint32_t ledger_fnv(const void* p, size_t n, uint32_t h) {
  const unsigned char* b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
  return h;
}

// ledger_csum is the checksum of h (up to csum) and of h->len body bytes.
static inline uint32_t ledger_csum(const struct ledger_hdr* h, const char* body) {
  return ledger_fnv(body, h->len, ledger_fnv(h, offsetof(struct ledger_hdr, csum), 2166136261u));
}

#endif  // MQSENTRY_TEST_COMMON_LEDGER_H_
