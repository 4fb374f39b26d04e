// Package backendtest holds what the tests of every backend share: golden
// profile cases, and helpers for end-to-end deployments with real processes
// (free ports, waiting for an answer, checking nothing is left running).
// Only test code imports it.
package backendtest
