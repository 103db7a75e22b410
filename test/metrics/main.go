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

// Command metrics runs test/metrics/c/metricsprobe.c in bin/runsc as an OCI
// container created with --metric-server, waits until `runsc
// export-metrics` shows every /ipc/mqueue/* and /ipc/msg/* metric at the
// value the program's queues, messages and blocked tasks give, checks the
// HELP and TYPE of each with Prometheus' own text parser and that every
// sample's sandbox label is the container's id, then checkpoints and
// restores the container: the gauges must be the same in the restored
// sandbox and the counters start again from zero.
//
// With -id and -root it starts nothing: it checks the same of a container
// an engine already runs metricsprobe in as its sandbox's root container
// (test/e2e/docker.sh: Docker's runsc root, the --metric-server of the
// runtime's runtimeArgs).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mqsentry/mqsentry/test/ocispec"
	"github.com/mqsentry/mqsentry/test/runscroot"
)

// metricServer is the --metric-server address: a Unix socket in runsc's
// root directory. No metric server needs to listen on it for
// export-metrics, which asks the sandbox directly; the flag makes the
// sandbox export its metrics.
const metricServer = "%RUNTIME_ROOT%/metrics.sock"

// sandboxLabel is the label gVisor's export gives every sample: the
// sandbox's id (gVisor's prometheus.SandboxIDLabel; this test does not
// import gVisor).
const sandboxLabel = "sandbox"

// A want is one metric's expected kind and values, by the value of its op
// label ("" for a metric without labels).
type want struct {
	counter bool
	values  map[string]float64
}

// expected is what metricsprobe.c sets up (see its comments).
func expected() map[string]want {
	gauge := func(v float64) want { return want{values: map[string]float64{"": v}} }
	counter := func(v float64) want { return want{counter: true, values: map[string]float64{"": v}} }
	blocked := func(send, receive float64) want {
		return want{values: map[string]float64{"send": send, "receive": receive}}
	}
	return map[string]want{
		"runsc_ipc_mqueue_queues":   gauge(5),
		"runsc_ipc_mqueue_messages": gauge(5),
		"runsc_ipc_mqueue_bytes":    gauge(72),
		"runsc_ipc_mqueue_sent":     counter(8),
		"runsc_ipc_mqueue_received": counter(2),
		"runsc_ipc_mqueue_blocked":  blocked(1, 2),
		"runsc_ipc_msg_queues":      gauge(3),
		"runsc_ipc_msg_messages":    gauge(4),
		"runsc_ipc_msg_bytes":       gauge(76),
		"runsc_ipc_msg_sent":        counter(6),
		"runsc_ipc_msg_received":    counter(1),
		"runsc_ipc_msg_blocked":     blocked(1, 2),
	}
}

// afterRestore is expected() with the counters at zero: gVisor's metrics
// are not saved, and ours are rebuilt from the restored queues, which
// holds for the gauges only.
func afterRestore() map[string]want {
	w := expected()
	for name, m := range w {
		if m.counter {
			w[name] = want{counter: true, values: map[string]float64{"": 0}}
		}
	}
	return w
}

func main() {
	runsc := flag.String("runsc", "bin/runsc", "the runsc to test")
	prog := flag.String("prog", "build/out/metricsprobe", "the static program to run")
	timeout := flag.Duration("timeout", 60*time.Second, "time allowed for each step")
	id := flag.String("id", "", "check the running container ID (its sandbox's root container runs metricsprobe) instead of starting one; needs -root")
	root := flag.String("root", "", "with -id: the runsc --root the container was created with")
	server := flag.String("metric-server", metricServer, "with -id: the --metric-server the container was created with")
	podLabels := make(map[string]string)
	flag.Func("label", "with -id: NAME=VALUE, a label every sample must carry besides sandbox (e.g. a pod's pod_name, namespace_name); repeatable", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("want NAME=VALUE")
		}
		podLabels[name] = value
		return nil
	})
	flag.Parse()
	passed, failed := 0, 0
	result := func(ok bool) {
		if ok {
			passed++
		} else {
			failed++
		}
	}
	var err error
	if *id != "" {
		err = runningContainer(*runsc, *root, *server, *id, podLabels, *timeout, result)
	} else {
		err = run(*runsc, *prog, *timeout, result)
	}
	if err != nil {
		fmt.Println("metrics:", err)
		failed++
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// runningContainer checks the metrics of container id, which runs
// metricsprobe under root already.
func runningContainer(runscPath, root, server, id string, podLabels map[string]string, timeout time.Duration, result func(bool)) error {
	if root == "" {
		return fmt.Errorf("-id needs -root")
	}
	runsc := func(args ...string) *exec.Cmd {
		return exec.Command(runscPath, append([]string{"--root", root, "--metric-server=" + server}, args...)...)
	}
	result(check("container "+id, runsc, id, podLabels, expected(), timeout))
	return nil
}

func run(runscPath, prog string, timeout time.Duration, result func(bool)) error {
	runscPath, _ = filepath.Abs(runscPath)
	prog, _ = filepath.Abs(prog)
	work, err := os.MkdirTemp("", "mqsentry-metrics")
	if err != nil {
		return err
	}
	state := filepath.Join(work, "state")
	defer runscroot.RemoveAll(work, state)
	if err := ocispec.Write(work, &specs.Spec{
		Version:  ocispec.Version,
		Process:  ocispec.RootProcess([]string{prog}, []string{"PATH=/usr/bin:/bin"}, "/", []string{"CAP_SYS_ADMIN", "CAP_KILL"}),
		Root:     &specs.Root{Path: "/", Readonly: true},
		Hostname: "mqsentry",
		Mounts:   []specs.Mount{ocispec.ProcMount, ocispec.MqueueMount(ocispec.DockerMqueueOptions...)},
		Linux: &specs.Linux{
			Namespaces: ocispec.Namespaces(specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace),
		},
	}); err != nil {
		return err
	}
	runsc := func(args ...string) *exec.Cmd {
		full := append([]string{"--network=none", "--ignore-cgroups", "--root", state, "--metric-server=" + metricServer}, args...)
		return exec.Command(runscPath, full...)
	}
	id := fmt.Sprintf("mqmetrics-%d", os.Getpid())
	restored := id + "-restored"
	defer func() {
		_ = runsc("delete", "-force", id).Run()
		_ = runsc("delete", "-force", restored).Run()
	}()

	out := filepath.Join(work, "before.out")
	if err := runscroot.StartDetached(runsc("run", "-detach", "-bundle", work, id), out); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := runscroot.WaitForOutput(out, "READY", timeout); err != nil {
		return err
	}
	result(check("running", runsc, id, nil, expected(), timeout))

	image := filepath.Join(work, "image")
	if out, err := runsc("checkpoint", "--image-path", image, id).CombinedOutput(); err != nil {
		return fmt.Errorf("checkpoint: %v: %s", err, out)
	}
	_ = runsc("delete", "-force", id).Run()
	if err := runscroot.StartDetached(runsc("restore", "-detach", "--image-path", image, "-bundle", work, restored), filepath.Join(work, "after.out")); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	result(check("restored", runsc, restored, nil, afterRestore(), timeout))
	return nil
}

// check exports the metrics of the sandbox whose root container is id
// until they match wants or timeout passes (the blocked children may not
// have blocked yet), and reports the differences of the last export.
func check(what string, runsc func(...string) *exec.Cmd, id string, podLabels map[string]string, wants map[string]want, timeout time.Duration) bool {
	labels := map[string]string{sandboxLabel: id}
	for k, v := range podLabels {
		labels[k] = v
	}
	deadline := time.Now().Add(timeout)
	var problems []string
	for {
		cmd := runsc("export-metrics", id)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		text, err := cmd.Output()
		if err != nil {
			problems = []string{fmt.Sprintf("export-metrics: %v: %s", err, stderr.String())}
		} else {
			problems = compare(text, wants, labels)
		}
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(problems) > 0 {
		fmt.Printf("FAIL %s:\n  %s\n", what, strings.Join(problems, "\n  "))
		return false
	}
	var shown []string
	for _, k := range sortedKeys(labels) {
		if k != sandboxLabel {
			shown = append(shown, fmt.Sprintf("%s=%q", k, labels[k]))
		}
	}
	fmt.Printf("ok %s: %d metrics as expected, labelled sandbox=%q %s\n", what, len(wants), id, strings.Join(shown, " "))
	return true
}

var wroteLine = regexp.MustCompile(`(?m)^Wrote [0-9]+ bytes of Prometheus metric data to stdout\n`)

// compare parses an export with Prometheus' text parser and lists how it
// differs from wants, whose every sample must carry labels (sandbox = the
// sandbox's id, that of its root container; a pod's, where CRI annotations
// give them).
func compare(text []byte, wants map[string]want, labels map[string]string) []string {
	// runsc's util.Infof prints "Wrote N bytes of Prometheus metric data
	// to stdout" after the data, on stdout too.
	text = wroteLine.ReplaceAll(text, nil)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return []string{fmt.Sprintf("parsing the export: %v\n%s", err, text)}
	}
	var problems []string
	for name, w := range wants {
		f, ok := families[name]
		if !ok {
			// gVisor's export leaves out a metric whose values are all
			// zero.
			for op, v := range w.values {
				if v != 0 {
					problems = append(problems, fmt.Sprintf("%s{op=%q}: missing, want %v", name, op, v))
				}
			}
			continue
		}
		if f.GetHelp() == "" {
			problems = append(problems, name+": no HELP")
		}
		wantType := dto.MetricType_GAUGE
		if w.counter {
			wantType = dto.MetricType_COUNTER
		}
		if f.GetType() != wantType {
			problems = append(problems, fmt.Sprintf("%s: TYPE %v, want %v", name, f.GetType(), wantType))
		}
		got := make(map[string]float64)
		for _, m := range f.GetMetric() {
			have := make(map[string]string)
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			op := have["op"]
			for _, k := range sortedKeys(labels) {
				if have[k] != labels[k] {
					problems = append(problems, fmt.Sprintf("%s{op=%q}: label %s=%q, want %q", name, op, k, have[k], labels[k]))
				}
			}
			v := m.GetGauge().GetValue()
			if w.counter {
				v = m.GetCounter().GetValue()
			}
			got[op] = v
		}
		for op, v := range w.values {
			if g, ok := got[op]; !ok && v != 0 || g != v {
				problems = append(problems, fmt.Sprintf("%s{op=%q} = %v, want %v", name, op, g, v))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
