package agnostic

import (
	"fmt"
	"strings"
	"testing"
)

// benchModel is a model shaped like bench/generated.nix evaluates to: n
// processes in a chain, each with an environment, credentials and an
// attribute set override.
func benchModel(n int) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		deps := "[]"
		if i > 0 {
			deps = fmt.Sprintf(`["proc%d"]`, i-1)
		}
		fmt.Fprintf(&b, `"proc%d":{"pkg":{"__nixproc":"managed-process","args":["infinity"],`+
			`"credentials":{"__nixproc":"credentials","groups":{},"users":{}},"dependencies":%s,`+
			`"description":"Generated process %d","environment":{"PID_FILE":"/tmp/proc%d.pid","PORT":%d},`+
			`"foregroundProcess":"/bin/sleep","instanceName":"proc%d","name":"proc%d",`+
			`"overrides":{"sysvinit":{"runlevels":[3,4,5]}}},"port":%d}`, i, deps, i, i, 10000+i, i, i, 10000+i)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func BenchmarkDecodeProcesses(b *testing.B) {
	data := benchModel(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeProcesses(data); err != nil {
			b.Fatal(err)
		}
	}
}
