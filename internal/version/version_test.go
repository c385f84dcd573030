package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v1.2.3", nil, "v1.2.3"},
		{"v0.0.0-20260101120000-0123456789ab+dirty", nil, "v0.0.0-20260101120000-0123456789ab+dirty"},
		{"(devel)", nil, "dev"},
		{"", nil, "dev"},
		{"(devel)", settings("vcs.revision", "0123456789abcdef0123", "vcs.modified", "false"), "dev-0123456789ab"},
		{"(devel)", settings("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"), "dev-0123456789ab-dirty"},
		{"(devel)", settings("vcs.revision", "abc"), "dev-abc"},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Version: tc.main}, Settings: tc.settings}
		if got := fromBuildInfo(bi); got != tc.want {
			t.Errorf("main %q, settings %v: %q, want %q", tc.main, tc.settings, got, tc.want)
		}
	}
}

func TestOverride(t *testing.T) {
	defer func(o string) { override = o }(override)
	override = "v9.9.9"
	if got := String(); got != "v9.9.9" {
		t.Errorf("String() = %q with the override set", got)
	}
}
