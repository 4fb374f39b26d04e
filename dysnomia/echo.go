package dysnomia

import (
	"context"
	"fmt"
)

// echoModule says what it is asked to do and shows the container's
// properties: a stand-in for a real module, for trying deployments out.
// It keeps the activation marker like any other module.
type echoModule struct{}

func (echoModule) Name() string { return "echo" }

var echoMessages = map[string]string{
	"activate":        "Activate service",
	"deactivate":      "Deactivate service",
	"lock":            "Lock service",
	"unlock":          "Unlock service",
	"snapshot":        "Snapshot state of service",
	"restore":         "Restore state of service",
	"collect-garbage": "Collect garbage of service",
}

func (m echoModule) Run(ctx context.Context, inv *Invocation) error {
	out := inv.stdout()
	if inv.Activity == "shell" {
		fmt.Fprintln(inv.stderr(), "This is the echo shell session")
	} else {
		fmt.Fprintf(out, "Echo module: %s: %s\n", echoMessages[inv.Activity], inv.Component)
	}
	fmt.Fprintln(out, "Environment variables:")
	for _, kv := range inv.Props.Environ() {
		fmt.Fprintln(out, kv)
	}
	switch inv.Activity {
	case "activate":
		return markersOf(inv, m.Name()).markActive()
	case "deactivate":
		markersOf(inv, m.Name()).unmarkActive()
	}
	return nil
}
