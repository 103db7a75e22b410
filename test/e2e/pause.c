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

// pause: the pod sandbox ("infra") container of test/e2e/cri.sh, like
// Kubernetes' pause image: holds the pod's namespaces until it is stopped.
// Build: gcc -O2 -Wall -static -o pause pause.c
#include <signal.h>
#include <unistd.h>

static void on_term(int sig) { _exit(0); }

int main(void) {
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  for (;;) pause();
}
