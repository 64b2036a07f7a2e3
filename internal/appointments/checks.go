package appointments

import (
	"context"
	"crypto/subtle"
)

// Evidence is what a household sends to confirm an appointment.
type Evidence struct {
	Latitude  *float64 `json:"latitude,omitempty" minimum:"-90" maximum:"90" doc:"Where the device is now, if the applicant shares it"`
	Longitude *float64 `json:"longitude,omitempty" minimum:"-180" maximum:"180"`
	Liveness  string   `json:"liveness,omitempty" maxLength:"64" doc:"The answer to the liveness challenge shown with the appointment"`
}

// Check is one confirmation check. It returns ok, or a message key saying
// why not. Any error other than a failed check is returned as err.
type Check interface {
	Name() string
	Check(ctx context.Context, a Appointment, ev Evidence) (ok bool, reason string, err error)
}

// Box is a latitude and longitude rectangle.
type Box struct {
	South, West, North, East float64
}

// RegionCheck passes when the device is inside one of the boxes.
type RegionCheck struct {
	Boxes []Box
}

// DefaultRegion is central and northern Mexico, north of latitude 18.
func DefaultRegion() RegionCheck {
	return RegionCheck{Boxes: []Box{{South: 18.0, West: -117.3, North: 32.75, East: -86.7}}}
}

// Name implements Check.
func (RegionCheck) Name() string { return "region" }

// Check implements Check.
func (r RegionCheck) Check(_ context.Context, _ Appointment, ev Evidence) (bool, string, error) {
	if ev.Latitude == nil || ev.Longitude == nil {
		return false, "appointments.check.region_missing", nil
	}
	lat, lon := *ev.Latitude, *ev.Longitude
	for _, b := range r.Boxes {
		if lat >= b.South && lat <= b.North && lon >= b.West && lon <= b.East {
			return true, "", nil
		}
	}
	return false, "appointments.check.region_outside", nil
}

// LivenessCheck is the simple liveness check: the applicant answers the
// six-digit challenge shown with the appointment, which shows that someone
// holding the appointment is present now. A face-liveness service plugs in
// through the same interface.
type LivenessCheck struct{}

// Name implements Check.
func (LivenessCheck) Name() string { return "liveness" }

// Check implements Check.
func (LivenessCheck) Check(_ context.Context, a Appointment, ev Evidence) (bool, string, error) {
	if ev.Liveness == "" {
		return false, "appointments.check.liveness_missing", nil
	}
	if subtle.ConstantTimeCompare([]byte(ev.Liveness), []byte(a.challenge)) != 1 {
		return false, "appointments.check.liveness_failed", nil
	}
	return true, "", nil
}
