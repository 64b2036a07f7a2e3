// Package profile defines the screening profile: every fact the lawful-pathway
// rules read about a person and their household, as one documented schema.
//
// Every answer may be "I don't know". The rule is the same for every field:
//
//   - a scalar (text, yes/no, date, number) is a pointer; nil (JSON null or an
//     absent key) means "not answered / I don't know";
//   - a list is nil when not answered and empty (JSON []) when the answer is
//     "none". Absent and null mean "I don't know"; [] means "none".
//
// The only required field is the person's id. Country codes are ISO 3166-1
// alpha-2 ("VE"), regions ISO 3166-2 ("MX-CHH"), dates ISO 8601 calendar
// dates ("2023-06-11"); a birth date may be partial ("1990" or "1990-05").
//
// The JSON Schema in docs/profile.schema.json is generated from these types
// (see schema_test.go); each field also has a plain-words question in the
// catalogues questions.<lang>.json, under the key QuestionKey(path).
package profile

// Role says who a person is in their household, relative to its principal
// applicant.
type Role string

// Roles.
const (
	RolePrincipal Role = "principal" // the main applicant
	RoleSpouse    Role = "spouse"    // spouse or common-law partner of the principal
	RoleChild     Role = "child"     // child of the principal
	RoleParent    Role = "parent"    // parent of the principal
	RoleOther     Role = "other"     // any other relative or companion
)

// Relationship is a household member's relationship to the principal.
type Relationship string

// Relationships.
const (
	RelPrincipal Relationship = "principal"
	RelSpouse    Relationship = "spouse" // includes a common-law partner
	RelChild     Relationship = "child"
	RelParent    Relationship = "parent"
	RelSibling   Relationship = "sibling"
	RelOther     Relationship = "other"
)

// HostStatus is a person's migration status in the country where they are now.
type HostStatus string

// Host-country statuses.
const (
	HostIrregular              HostStatus = "irregular" // no status
	HostRegular                HostStatus = "regular"   // a regular (lawful) stay not listed below
	HostRegularizationPending  HostStatus = "regularization_pending"
	HostAsylumSeekerRegistered HostStatus = "asylum_seeker_registered"
	HostRefugeeRecognized      HostStatus = "refugee_recognized"
	HostPermanentResident      HostStatus = "permanent_resident"
	HostTemporaryResident      HostStatus = "temporary_resident"
	HostNational               HostStatus = "national" // a national of that country
)

// USStatus is a person's immigration status in the United States.
type USStatus string

// US statuses. Parolee means paroled under INA 212(d)(5) for urgent
// humanitarian reasons or significant public benefit (CHNV, FRP, a CBP One
// appointment...).
const (
	USNone          USStatus = "none"
	USParolee       USStatus = "parolee"
	USTPS           USStatus = "tps"
	USLPR           USStatus = "lpr"
	USCitizen       USStatus = "citizen"
	USAsylee        USStatus = "asylee"
	USRefugee       USStatus = "refugee"
	USNonimmigrant  USStatus = "nonimmigrant"
	USAsylumPending USStatus = "asylum_pending"
	USOther         USStatus = "other"
)

// I130Category is the visa category of an I-130 petition: IR (immediate
// relative of a US citizen) or a family preference F1, F2A, F2B, F3, F4.
type I130Category string

// PetitionerStatus is the status of the person who filed an I-130: US citizen
// ("usc") or lawful permanent resident ("lpr").
type PetitionerStatus string

// H2Category is the visa category of a US job offer: "h2a" (agricultural) or
// "h2b" (non-agricultural).
type H2Category string

// AnchorRelationship says how a relative in the US who was admitted as a
// refugee or granted asylum is related to the person: "spouse", "parent" (the
// relative is the person's parent), "child" (the relative is the person's
// child), "other", or "none" when there is no such relative.
type AnchorRelationship string

// Person is one person to screen: the facts the rules read, each optional.
type Person struct {
	ID string `json:"id" minLength:"1" maxLength:"128" doc:"Identifier of the person, unique in its input. Required."`

	Role               *Role        `json:"role,omitempty" nullable:"true" enum:"principal,spouse,child,parent,other" doc:"Who the person is in the household, relative to its principal applicant: principal, spouse (or common-law partner), child, parent or other."`
	Nationality        *string      `json:"nationality,omitempty" nullable:"true" pattern:"^[A-Z]{2}$" doc:"Country of nationality (ISO 3166-1 alpha-2)."`
	OtherNationalities []string     `json:"other_nationalities,omitzero" maxItems:"8" pattern:"^[A-Z]{2}$" doc:"Other nationalities held (ISO 3166-1 alpha-2); [] means none."`
	BirthDate          *PartialDate `json:"birth_date,omitempty" nullable:"true" pattern:"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" doc:"Birth date: YYYY-MM-DD, or only YYYY-MM or YYYY when the rest is not known."`
	Married            *bool        `json:"married,omitempty" nullable:"true" doc:"Whether the person is married (or in a common-law union)."`

	CurrentCountry              *string     `json:"current_country,omitempty" nullable:"true" pattern:"^[A-Z]{2}$" doc:"Country where the person is now (ISO 3166-1 alpha-2)."`
	CurrentRegion               *string     `json:"current_region,omitempty" nullable:"true" pattern:"^[A-Z]{2}-[A-Z0-9]{1,3}$" doc:"State, department or province where the person is now (ISO 3166-2, e.g. MX-CHH)."`
	CurrentCity                 *string     `json:"current_city,omitempty" nullable:"true" maxLength:"100" doc:"City or town where the person is now."`
	NorthOf19thParallel         *bool       `json:"north_of_19th_parallel,omitempty" nullable:"true" doc:"Whether the person's current location in Mexico is north of the 19th parallel (as the phone's location shows); asked only in Mexican states the parallel crosses."`
	ArrivalDateInCurrentCountry *Date       `json:"arrival_date_in_current_country,omitempty" nullable:"true" format:"date" doc:"Date the person last arrived in the country where they are now."`
	HostCountryStatus           *HostStatus `json:"host_country_status,omitempty" nullable:"true" enum:"irregular,regular,regularization_pending,asylum_seeker_registered,refugee_recognized,permanent_resident,temporary_resident,national" doc:"Migration status in the country where the person is now."`
	HostCountryStatusSince      *Date       `json:"host_country_status_since,omitempty" nullable:"true" format:"date" doc:"Date the person obtained or registered for that status."`
	PermanentResidenceCountries []string    `json:"permanent_residence_countries,omitzero" maxItems:"8" pattern:"^[A-Z]{2}$" doc:"Countries where the person holds permanent residence; [] means none."`
	RefugeeStatusCountries      []string    `json:"refugee_status_countries,omitzero" maxItems:"8" pattern:"^[A-Z]{2}$" doc:"Countries where the person currently holds refugee status; [] means none."`

	HasPassport        *bool `json:"has_passport,omitempty" nullable:"true" doc:"Whether the person holds a passport."`
	PassportExpiryDate *Date `json:"passport_expiry_date,omitempty" nullable:"true" format:"date" doc:"Expiry date printed in the passport."`
	USEntryDocuments   *bool `json:"us_entry_documents,omitempty" nullable:"true" doc:"Whether the person holds documents sufficient to enter the United States (for example a valid visa)."`

	IrregularEntries      []Entry `json:"irregular_entries,omitzero" maxItems:"32" doc:"Entries into a country between ports or without authorisation (the United States, Mexico, Panama and others when relevant); [] means none."`
	InterdictedAtSeaDates []Date  `json:"interdicted_at_sea_dates,omitzero" maxItems:"32" format:"date" doc:"Dates the person was stopped at sea by the United States; [] means never."`
	USRemovalOrderDates   []Date  `json:"us_removal_order_dates,omitzero" maxItems:"32" format:"date" doc:"Dates of orders removing (deporting) the person from the United States; [] means never."`

	USSupporterWithI134A           *bool `json:"us_supporter_with_i134a,omitempty" nullable:"true" doc:"Whether a supporter in the United States filed Form I-134A for this person and USCIS confirmed it."`
	TravellingWithParentOrGuardian *bool `json:"travelling_with_parent_or_guardian,omitempty" nullable:"true" doc:"For a child: whether a parent or legal guardian travels with them."`

	ApprovedI130Petition  *bool             `json:"approved_i130_petition,omitempty" nullable:"true" doc:"Whether the person is the beneficiary (principal or derivative) of an I-130 petition that USCIS approved."`
	I130Category          *I130Category     `json:"i130_category,omitempty" nullable:"true" enum:"IR,F1,F2A,F2B,F3,F4" doc:"Category of that I-130 petition."`
	PetitionerStatus      *PetitionerStatus `json:"petitioner_status,omitempty" nullable:"true" enum:"usc,lpr" doc:"Status of the petitioner: US citizen or lawful permanent resident."`
	FRPInvitationReceived *bool             `json:"frp_invitation_received,omitempty" nullable:"true" doc:"Whether the petitioner received a written invitation from the National Visa Center to the family reunification parole process."`
	ImmigrantVisaIssued   *bool             `json:"immigrant_visa_issued,omitempty" nullable:"true" doc:"Whether an immigrant visa has already been issued to the person on that petition."`

	JobOfferH2         *bool       `json:"job_offer_h2,omitempty" nullable:"true" doc:"Whether a US employer with a certified temporary job filed (or will file) an I-129 petition for this worker."`
	JobOfferH2Category *H2Category `json:"job_offer_h2_category,omitempty" nullable:"true" enum:"h2a,h2b" doc:"Category of that job: h2a (agricultural) or h2b (non-agricultural)."`

	P1Referral                        *bool               `json:"p1_referral,omitempty" nullable:"true" doc:"Whether UNHCR, a US embassy or a designated NGO referred the person to the US refugee programme."`
	UNHCRRegistered                   *bool               `json:"unhcr_registered,omitempty" nullable:"true" doc:"Whether the person is registered with UNHCR."`
	RefugeeOrAsyleeRelativeInUS       *AnchorRelationship `json:"refugee_or_asylee_relative_in_us,omitempty" nullable:"true" enum:"none,spouse,parent,child,other" doc:"A relative in the United States admitted as a refugee or granted asylum: spouse, parent, child, other, or none."`
	RefugeeOrAsyleeRelativeAdmittedOn *Date               `json:"refugee_or_asylee_relative_admitted_on,omitempty" nullable:"true" format:"date" doc:"Date that relative was admitted as a refugee or granted asylum."`
	RefugeeOrAsyleeRelativeBirthDate  *PartialDate        `json:"refugee_or_asylee_relative_birth_date,omitempty" nullable:"true" pattern:"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" doc:"Birth date of that relative (may be partial)."`
	LawfullyPresentParentInUS         *bool               `json:"lawfully_present_parent_in_us,omitempty" nullable:"true" doc:"For a child: whether a parent or legal guardian aged 18 or over is lawfully present in the United States (LPR, TPS, parole, deferred action, DED, withholding, or a pending asylum or U-visa request filed before 2021-05-15)."`
	ParticularVulnerability           *bool               `json:"particular_vulnerability,omitempty" nullable:"true" doc:"Whether the person has a particular vulnerability (serious illness, disability, pregnancy, threats or violence where they are)."`
	USImmigrationStatus               *USStatus           `json:"us_immigration_status,omitempty" nullable:"true" enum:"none,parolee,tps,lpr,citizen,asylee,refugee,nonimmigrant,asylum_pending,other" doc:"Immigration status in the United States, for people there."`
	USParoleExpiryDate                *Date               `json:"us_parole_expiry_date,omitempty" nullable:"true" format:"date" doc:"Last day of the person's parole in the United States."`
	USContinuousStaySinceArrival      *bool               `json:"us_continuous_stay_since_arrival,omitempty" nullable:"true" doc:"Whether the person has stayed in the United States since arriving, apart from brief, casual and innocent trips."`
	USFelonyConviction                *bool               `json:"us_felony_conviction,omitempty" nullable:"true" doc:"Whether the person was ever convicted of a felony in the United States."`
	USMisdemeanorConvictions          *int                `json:"us_misdemeanor_convictions,omitempty" nullable:"true" minimum:"0" maximum:"1000" doc:"Number of misdemeanour convictions in the United States."`
}

// Entry is one entry into a country between ports of entry or without
// authorisation.
type Entry struct {
	Country            string `json:"country" pattern:"^[A-Z]{2}$" doc:"Country entered (ISO 3166-1 alpha-2)."`
	Date               Date   `json:"date" format:"date" doc:"Date of the entry."`
	VoluntaryDeparture *bool  `json:"voluntary_departure,omitempty" nullable:"true" doc:"For an entry into the United States: whether it ended in voluntary departure or the withdrawal of an application for admission."`
}

// Household is the household a person belongs to: the other members and the
// facts shared by the whole group.
type Household struct {
	Members                    []Member `json:"members,omitzero" maxItems:"32" doc:"The other members of the household (not the person screened); [] means the person is alone."`
	SharedUSDestinationAddress *bool    `json:"shared_us_destination_address,omitempty" nullable:"true" doc:"Whether all members travelling together share one US destination address."`
}

// Member is another member of a person's household.
type Member struct {
	ID             string        `json:"id,omitempty" maxLength:"128" doc:"Identifier of the member, when they are screened too."`
	Relationship   *Relationship `json:"relationship,omitempty" nullable:"true" enum:"principal,spouse,child,parent,sibling,other" doc:"Relationship of the member to the principal applicant (principal for the principal themself)."`
	Nationality    *string       `json:"nationality,omitempty" nullable:"true" pattern:"^[A-Z]{2}$" doc:"Country of nationality (ISO 3166-1 alpha-2)."`
	BirthDate      *PartialDate  `json:"birth_date,omitempty" nullable:"true" pattern:"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$" doc:"Birth date (may be partial)."`
	Married        *bool         `json:"married,omitempty" nullable:"true" doc:"Whether the member is married."`
	TravellingWith *bool         `json:"travelling_with,omitempty" nullable:"true" doc:"Whether the member travels together with the person screened."`
}

// Profile is one screening input: a person and, optionally, their household.
// It is one line of the JSON Lines read by `senda screen`.
type Profile struct {
	Person
	Household *Household `json:"household,omitempty" doc:"The person's household; absent when not answered."`
}

// Ptr returns a pointer to v: a short way to write an answer.
func Ptr[T any](v T) *T { return &v }
