package app

import "strings"

// Sex is derived from the ID number's sequence digit (odd = male).
type Sex string

const (
	SexMale   Sex = "male"
	SexFemale Sex = "female"
)

func (s Sex) Label() string {
	switch s {
	case SexMale:
		return "男"
	case SexFemale:
		return "女"
	}
	return ""
}

// Area decides which 低保 standard applies.
type Area string

const (
	AreaRural Area = "rural"
	AreaUrban Area = "urban"
)

func (a Area) Label() string {
	if a == AreaUrban {
		return "城市"
	}
	return "农村"
}

// Relation is a member's relation to the household head.
type Relation string

const (
	RelationHead        Relation = "head"
	RelationSpouse      Relation = "spouse"
	RelationChild       Relation = "child"
	RelationChildInLaw  Relation = "child_in_law"
	RelationParent      Relation = "parent"
	RelationGrandchild  Relation = "grandchild"
	RelationGrandparent Relation = "grandparent"
	RelationSibling     Relation = "sibling"
	RelationOther       Relation = "other"
)

var relationLabels = map[Relation]string{
	RelationHead: "户主", RelationSpouse: "配偶", RelationChild: "子女", RelationChildInLaw: "儿媳/女婿",
	RelationParent: "父母", RelationGrandchild: "孙子女", RelationGrandparent: "祖父母",
	RelationSibling: "兄弟姐妹", RelationOther: "其他",
}

// Relations lists relations in the order a form offers them.
var Relations = []Relation{RelationHead, RelationSpouse, RelationChild, RelationChildInLaw, RelationParent,
	RelationGrandchild, RelationGrandparent, RelationSibling, RelationOther}

func (r Relation) Label() string { return relationLabels[r] }

// ParseRelation accepts a Chinese label as found in rosters ("户主", "之子", "妻").
func ParseRelation(s string) (Relation, bool) {
	s = strings.TrimSpace(s)
	for r, l := range relationLabels {
		if s == l || s == string(r) {
			return r, true
		}
	}
	switch s {
	case "本人", "户主本人":
		return RelationHead, true
	case "妻", "夫", "妻子", "丈夫", "之妻", "之夫":
		return RelationSpouse, true
	case "子", "女", "之子", "之女", "儿子", "女儿", "长子", "长女", "次子", "次女":
		return RelationChild, true
	case "儿媳", "女婿":
		return RelationChildInLaw, true
	case "父", "母", "父亲", "母亲", "之父", "之母":
		return RelationParent, true
	case "孙子", "孙女", "外孙", "外孙女":
		return RelationGrandchild, true
	case "祖父", "祖母", "外祖父", "外祖母":
		return RelationGrandparent, true
	case "兄", "弟", "姐", "妹", "兄弟", "姐妹":
		return RelationSibling, true
	}
	return "", false
}

// WorkCapacity is assessed per member; it drives 特困 eligibility and review frequency.
type WorkCapacity string

const (
	WorkFull    WorkCapacity = "full"
	WorkPartial WorkCapacity = "partial"
	WorkNone    WorkCapacity = "none"
)

func (w WorkCapacity) Label() string {
	switch w {
	case WorkFull:
		return "有劳动能力"
	case WorkPartial:
		return "部分丧失劳动能力"
	case WorkNone:
		return "完全丧失劳动能力"
	}
	return "未评估"
}

// Health of a member, as recorded at the home visit.
type Health string

const (
	HealthGood    Health = "good"
	HealthChronic Health = "chronic"
	HealthSerious Health = "serious"
)

func (h Health) Label() string {
	switch h {
	case HealthGood:
		return "健康"
	case HealthChronic:
		return "慢性病"
	case HealthSerious:
		return "重病"
	}
	return "未填写"
}

// DisabilityType follows the categories of the disability certificate (残疾人证).
type DisabilityType string

const (
	DisabilityNone         DisabilityType = ""
	DisabilityVisual       DisabilityType = "visual"
	DisabilityHearing      DisabilityType = "hearing"
	DisabilitySpeech       DisabilityType = "speech"
	DisabilityPhysical     DisabilityType = "physical"
	DisabilityIntellectual DisabilityType = "intellectual"
	DisabilityMental       DisabilityType = "mental"
	DisabilityMultiple     DisabilityType = "multiple"
)

var disabilityLabels = map[DisabilityType]string{
	DisabilityNone: "无", DisabilityVisual: "视力", DisabilityHearing: "听力", DisabilitySpeech: "言语",
	DisabilityPhysical: "肢体", DisabilityIntellectual: "智力", DisabilityMental: "精神", DisabilityMultiple: "多重",
}

func (d DisabilityType) Label() string { return disabilityLabels[d] }

// Schooling is a member's current schooling; it extends 特困 support past 18.
type Schooling string

const (
	SchoolNone       Schooling = ""
	SchoolPreschool  Schooling = "preschool"
	SchoolPrimary    Schooling = "primary"
	SchoolJunior     Schooling = "junior"
	SchoolSenior     Schooling = "senior"
	SchoolVocational Schooling = "vocational"
	SchoolCollege    Schooling = "college"
)

func (s Schooling) InSchool() bool { return s != SchoolNone }

func (s Schooling) Label() string {
	switch s {
	case SchoolPreschool:
		return "学前"
	case SchoolPrimary:
		return "小学"
	case SchoolJunior:
		return "初中"
	case SchoolSenior:
		return "高中"
	case SchoolVocational:
		return "中职"
	case SchoolCollege:
		return "大专及以上"
	}
	return "不在学"
}

// Category marks a household's situation for the county's monitoring lists.
type Category string

const (
	CategoryUnstableOutOfPoverty Category = "unstable_out_of_poverty" // 脱贫不稳定户
	CategoryEdgeProne            Category = "edge_prone"              // 边缘易致贫户
	CategorySuddenHardship       Category = "sudden_hardship"         // 突发严重困难户
	CategoryEpidemic             Category = "epidemic"                // 因疫
	CategoryIllness              Category = "illness"                 // 因病
	CategoryDisability           Category = "disability"              // 因残
	CategoryEducation            Category = "education"               // 因学
	CategoryDisaster             Category = "disaster"                // 因灾
)

var categoryLabels = map[Category]string{
	CategoryUnstableOutOfPoverty: "脱贫不稳定户", CategoryEdgeProne: "边缘易致贫户", CategorySuddenHardship: "突发严重困难户",
	CategoryEpidemic: "因疫", CategoryIllness: "因病", CategoryDisability: "因残", CategoryEducation: "因学", CategoryDisaster: "因灾",
}

// Categories in display order.
var Categories = []Category{CategoryUnstableOutOfPoverty, CategoryEdgeProne, CategorySuddenHardship,
	CategoryEpidemic, CategoryIllness, CategoryDisability, CategoryEducation, CategoryDisaster}

func (c Category) Label() string { return categoryLabels[c] }

// IncomeKind decides whether an income counts toward per-capita income; the
// excluded kinds are a rule parameter (RuleSet.ExcludedIncome).
type IncomeKind string

const (
	IncomeWage           IncomeKind = "wage"            // 工资性收入
	IncomeBusiness       IncomeKind = "business"        // 经营净收入
	IncomeAgriculture    IncomeKind = "agriculture"     // 农业收入
	IncomeProperty       IncomeKind = "property"        // 财产性收入
	IncomeSupport        IncomeKind = "support"         // 赡养/抚养/扶养费
	IncomePensionBasic   IncomeKind = "pension_basic"   // 城乡居民基础养老金
	IncomePension        IncomeKind = "pension"         // 其他养老金
	IncomeYoufu          IncomeKind = "youfu"           // 优抚对象抚恤/补助
	IncomeFamilyPlanning IncomeKind = "family_planning" // 计划生育奖励扶助
	IncomeScholarship    IncomeKind = "scholarship"     // 奖学金/助学金
	IncomeBravery        IncomeKind = "bravery"         // 见义勇为奖励
	IncomeAssistance     IncomeKind = "assistance"      // 社会救助金
	IncomeOther          IncomeKind = "other"           // 其他
)

var incomeLabels = map[IncomeKind]string{
	IncomeWage: "工资性收入", IncomeBusiness: "经营净收入", IncomeAgriculture: "农业收入", IncomeProperty: "财产性收入",
	IncomeSupport: "赡养费", IncomePensionBasic: "城乡居民基础养老金", IncomePension: "其他养老金", IncomeYoufu: "优抚金",
	IncomeFamilyPlanning: "计划生育奖励扶助", IncomeScholarship: "奖学金/助学金", IncomeBravery: "见义勇为奖励",
	IncomeAssistance: "社会救助金", IncomeOther: "其他收入",
}

// IncomeKinds in display order.
var IncomeKinds = []IncomeKind{IncomeWage, IncomeBusiness, IncomeAgriculture, IncomeProperty, IncomeSupport,
	IncomePensionBasic, IncomePension, IncomeYoufu, IncomeFamilyPlanning, IncomeScholarship, IncomeBravery,
	IncomeAssistance, IncomeOther}

func (k IncomeKind) Label() string { return incomeLabels[k] }

// AssetKind of a household asset checked against the county's property limits.
type AssetKind string

const (
	AssetDeposit    AssetKind = "deposit"    // 存款
	AssetSecurities AssetKind = "securities" // 有价证券
	AssetVehicle    AssetKind = "vehicle"    // 机动车
	AssetHouse      AssetKind = "house"      // 非自住房产
	AssetBusiness   AssetKind = "business"   // 工商登记
)

var assetLabels = map[AssetKind]string{
	AssetDeposit: "存款", AssetSecurities: "有价证券", AssetVehicle: "机动车辆", AssetHouse: "非自住房产", AssetBusiness: "经营实体",
}

var AssetKinds = []AssetKind{AssetDeposit, AssetSecurities, AssetVehicle, AssetHouse, AssetBusiness}

func (k AssetKind) Label() string { return assetLabels[k] }

// Member is one person of a household.
type Member struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	IDNumber        string         `json:"id_number"` // normalised 18 characters
	Relation        Relation       `json:"relation"`
	Disability      DisabilityType `json:"disability,omitempty"`
	DisabilityGrade int            `json:"disability_grade,omitempty"` // 1 (most severe) to 4; 0 none
	WorkCapacity    WorkCapacity   `json:"work_capacity,omitempty"`
	Health          Health         `json:"health,omitempty"`
	Schooling       Schooling      `json:"schooling,omitempty"`
	Covered         bool           `json:"covered"` // counted in the persons covered by the benefit
	Phone           string         `json:"phone,omitempty"`
}

// Income is a monthly income item of the household (or of one member).
type Income struct {
	Kind     IncomeKind `json:"kind"`
	MemberID string     `json:"member_id,omitempty"`
	Monthly  Money      `json:"monthly"`
	Note     string     `json:"note,omitempty"`
}

// Asset is one item of household property.
type Asset struct {
	Kind  AssetKind `json:"kind"`
	Value Money     `json:"value"`
	Note  string    `json:"note,omitempty"`
}

// Household is the unit of application: one hukou household in one village.
type Household struct {
	ID           string     `json:"id"`
	TownshipCode string     `json:"township_code"` // 9-digit statistical code
	VillageCode  string     `json:"village_code"`  // 12-digit statistical code
	VillageName  string     `json:"village_name"`
	Address      string     `json:"address,omitempty"`
	Area         Area       `json:"area"`
	Phone        string     `json:"phone,omitempty"`
	BankName     string     `json:"bank_name,omitempty"`
	BankAccount  string     `json:"bank_account,omitempty"`
	Categories   []Category `json:"categories,omitempty"`
	Members      []Member   `json:"members"`
	Incomes      []Income   `json:"incomes,omitempty"`
	Assets       []Asset    `json:"assets,omitempty"`
}

// Head returns the household head, if one is recorded.
func (h *Household) Head() (Member, bool) {
	for _, m := range h.Members {
		if m.Relation == RelationHead {
			return m, true
		}
	}
	return Member{}, false
}

// Member returns the member with the given ID.
func (h *Household) Member(id string) (Member, bool) {
	for _, m := range h.Members {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// CoveredCount is the number of persons the benefit covers.
func (h *Household) CoveredCount() int {
	n := 0
	for _, m := range h.Members {
		if m.Covered {
			n++
		}
	}
	return n
}

// CountedIncome is the household's monthly income that counts toward the
// means test: the sum of incomes whose kind the rule set does not exclude.
func (h *Household) CountedIncome(rs RuleSet) Money {
	var sum Money
	for _, in := range h.Incomes {
		if !rs.Excludes(in.Kind) {
			sum += in.Monthly
		}
	}
	return sum
}

// PerCapitaIncome divides counted income by all members (the means test is
// per member of the household, not per covered person).
func (h *Household) PerCapitaIncome(rs RuleSet) Money {
	if len(h.Members) == 0 {
		return 0
	}
	return h.CountedIncome(rs) / Money(len(h.Members))
}

// TotalAssets sums the declared property.
func (h *Household) TotalAssets() Money {
	var sum Money
	for _, a := range h.Assets {
		sum += a.Value
	}
	return sum
}
