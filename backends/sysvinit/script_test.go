package sysvinit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"nixproc/agnostic"
	"nixproc/shellquote"
)

// The messages are quoted piece by piece; they must come out as quoting
// the whole message would.
func TestMessageQuotesAsShellquoteDoes(t *testing.T) {
	texts := []string{"", "plain", "it's", "''", "'", "a'b'c", "$HOME `date`", "new\nline", "ünïcödé ☃"}
	for _, verb := range texts {
		for _, desc := range texts {
			w := scriptWriter{p: &Params{Description: agnostic.String(desc)}}
			w.message(verb)
			want := indent + "log_info_msg " + shellquote.Quote(verb+" "+desc+"...") + "\n"
			assert.Equal(t, want, string(w.buf), "verb %q, description %q", verb, desc)
		}
	}
}

func TestWriteOneLineSqueezesWhiteSpace(t *testing.T) {
	for _, s := range []string{"", " ", "one", "  two  words ", "a\n\tb\r\nc", "x\u00a0y\u2003z", "ünï  ☃"} {
		w := scriptWriter{}
		w.writeOneLine(s)
		assert.Equal(t, strings.Join(strings.Fields(s), " "), string(w.buf), "%q", s)
	}
}

// TestActivityPrecedence: the model's code beats everything, the generated
// status and restart beat the model's instructions, which beat the
// generated start, stop and reload; removal beats all.
func TestActivityPrecedence(t *testing.T) {
	all := func(name string) *Params {
		return &Params{
			Process:      "/bin/svc",
			Instructions: map[string]Instruction{name: {Activity: "Doing", Instruction: "do"}},
			Activities:   map[string]string{name: "code"},
		}
	}
	for _, name := range standardActivities {
		p := all(name)
		assert.Equal(t, modelCode, activityOf(p, name), name)
		delete(p.Activities, name)
		if name == "status" || name == "restart" {
			assert.Equal(t, generatedCode, activityOf(p, name), name)
		} else {
			assert.Equal(t, modelInstruction, activityOf(p, name), name)
			delete(p.Instructions, name)
			assert.Equal(t, generatedInstruction, activityOf(p, name), name)
		}
		p = all(name)
		p.RemoveActivities = []string{"other", name}
		assert.Equal(t, noActivity, activityOf(p, name), name)
	}
	// Without a process nothing is generated.
	p := &Params{Instructions: map[string]Instruction{"status": {Activity: "Checking", Instruction: "check"}}}
	assert.Equal(t, modelInstruction, activityOf(p, "status"))
	assert.Equal(t, noActivity, activityOf(p, "start"))
}

func TestActivityNamesOrder(t *testing.T) {
	p := &Params{
		Process:          "/bin/svc",
		Instructions:     map[string]Instruction{"zeta": {}, "status": {}, "beta": {}},
		Activities:       map[string]string{"alpha": "", "beta": "", "gone": ""},
		RemoveActivities: []string{"reload", "gone"},
	}
	assert.Equal(t, []string{"start", "stop", "restart", "status", "alpha", "beta", "zeta"}, activityNames(p))
	assert.Empty(t, activityNames(&Params{}))
}
