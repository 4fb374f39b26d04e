package idassign

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/tidwall/gjson"

	"nixproc/agnostic"
)

// DefaultProperty is the attribute of a process entry listing the resources
// it needs IDs from.
const DefaultProperty = "requiresUniqueIdsFor"

// Request says which resources a process needs an ID from.
type Request struct {
	// Process is the attribute name of the process (or service) in the model.
	Process   string
	Resources []string
}

// RequestsFromModel reads the requests of a decoded processes model from
// the property attribute of each process entry. The result is sorted by
// process.
func RequestsFromModel(m *agnostic.Model, property string) ([]Request, error) {
	out := make([]Request, 0, len(m.Processes))
	for _, p := range m.Processes {
		res, err := resourceList(p.Key, property, p.Attributes[property])
		if err != nil {
			return nil, err
		}
		out = append(out, Request{Process: p.Key, Resources: res})
	}
	sortRequests(out)
	return out, nil
}

// ParseServices reads the requests of an evaluated Disnix services model (or
// any JSON object of entries carrying the property attribute). The result is
// sorted by service.
func ParseServices(data []byte, property string) ([]Request, error) {
	if !gjson.ValidBytes(data) {
		return nil, fmt.Errorf("not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return nil, fmt.Errorf("must be an attribute set of services, got %s", kindOf(root))
	}
	var out []Request
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		if !v.IsObject() {
			err = fmt.Errorf("service %s: must be an attribute set, got %s", quoteName(k.String()), kindOf(v))
			return false
		}
		var res []string
		p := v.Get(gjson.Escape(property))
		var raw json.RawMessage
		if p.Exists() {
			raw = json.RawMessage(p.Raw)
		}
		res, err = resourceList(k.String(), property, raw)
		out = append(out, Request{Process: k.String(), Resources: res})
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	sortRequests(out)
	return out, nil
}

// resourceList reads a requiresUniqueIdsFor value: absent or null asks for
// nothing; otherwise it must be a list of resource names (the original
// silently ignored anything else, hiding typos such as a plain string).
func resourceList(process, property string, raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	v := gjson.ParseBytes(raw)
	if v.Type == gjson.Null {
		return nil, nil
	}
	if !v.IsArray() {
		return nil, fmt.Errorf("process %s: %s must be a list of resource names, got %s", quoteName(process), property, kindOf(v))
	}
	seen := map[string]bool{}
	var out []string
	for i, e := range v.Array() {
		if e.Type != gjson.String {
			return nil, fmt.Errorf("process %s: %s[%d] must be a resource name, got %s", quoteName(process), property, i, kindOf(e))
		}
		if !seen[e.String()] {
			seen[e.String()] = true
			out = append(out, e.String())
		}
	}
	sort.Strings(out)
	return out, nil
}

func sortRequests(rs []Request) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Process < rs[j].Process })
}
