package sheets

import (
	"encoding/json"
	"errors"
)

// jsonFields finds top-level members of the JSON object data and calls fn
// with each key (as written, escapes and all) and its raw value (a string
// value still quoted). It reads
// what the store wrote with encoding/json, several times faster than a
// decode into a struct or SQLite's json_extract, so that exports touching
// every case read only the few fields they need. It reports malformed input
// rather than guessing.
func jsonFields(data []byte, fn func(key, raw []byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errMalformed
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return errMalformed
		}
		kend, err := skipString(data, i)
		if err != nil {
			return err
		}
		key := data[i+1 : kend-1]
		i = skipSpace(data, kend)
		if i >= len(data) || data[i] != ':' {
			return errMalformed
		}
		i = skipSpace(data, i+1)
		vend, err := skipValue(data, i)
		if err != nil {
			return err
		}
		fn(key, data[i:vend])
		i = skipSpace(data, vend)
		if i >= len(data) {
			return errMalformed
		}
		if data[i] == '}' {
			return nil
		}
		if data[i] != ',' {
			return errMalformed
		}
		i = skipSpace(data, i+1)
	}
}

var errMalformed = errors.New("malformed JSON")

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at data[i] == '"'.
func skipString(data []byte, i int) (int, error) {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errMalformed
}

// skipValue returns the index after the value starting at data[i].
func skipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, errMalformed
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, err := skipString(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errMalformed
	default: // number, true, false, null
		j := i
		for j < len(data) && data[j] != ',' && data[j] != '}' && data[j] != ']' && data[j] != ' ' &&
			data[j] != '\n' && data[j] != '\t' && data[j] != '\r' {
			j++
		}
		if j == i {
			return 0, errMalformed
		}
		return j, nil
	}
}

// jsonString reads a raw string value as jsonFields gives it; null and
// anything but a string read as "".
func jsonString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", nil
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' {
			var s string
			err := json.Unmarshal(raw, &s)
			return s, err
		}
	}
	return string(body), nil
}
