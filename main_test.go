package main

import (
	"slices"
	"testing"
)

func TestUnreadLogVars(t *testing.T) {
	t.Parallel()
	quiet := []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_PLEXMCP"}
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"no logging asked for", []string{"HOME=/root", "PATH=/usr/bin"}, quiet},
		{"a log path alone enables nothing", []string{"TF_LOG_PATH=/tmp/tf.log", "TF_LOG_PATH_MASK=x-%s"}, quiet},
		{"an empty TF_LOG is unset", []string{"TF_LOG="}, quiet},
		{"TF_LOG", []string{"TF_LOG=TRACE"}, nil},
		{"TF_LOG_PROVIDER", []string{"TF_LOG_PROVIDER=DEBUG"}, nil},
		{"this provider's own variable", []string{"TF_LOG_PROVIDER_PLEXMCP=TRACE"}, nil},
		{"an SDK subsystem", []string{"TF_LOG_SDK_PROTO=TRACE"}, nil},
		{"core logging", []string{"TF_LOG_CORE=TRACE"}, nil},
		{"a value containing =", []string{"X=TF_LOG=TRACE"}, quiet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := unreadLogVars(tt.environ); !slices.Equal(got, tt.want) {
				t.Errorf("unreadLogVars(%q) = %q, want %q", tt.environ, got, tt.want)
			}
		})
	}
}
