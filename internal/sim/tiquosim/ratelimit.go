package tiquosim

import "strconv"

// docRateLimit is the limit the docs' 429 message names, used in injected
// 429s when no limit is configured.
const docRateLimit = 1000

func (s *Server) rateLimitMessage() string {
	limit := s.Kit.RateLimit()
	if limit <= 0 {
		limit = docRateLimit
	}
	return "Rate limit exceeded. Maximum " + thousands(limit) + " requests per hour."
}

// thousands formats n with "," between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
