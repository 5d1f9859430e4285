// Package demo generates realistic synthetic data for a township: households
// with valid ID numbers and plausible names, incomes and assets, and cases of
// all three programs walked through every workflow state (some overdue). It
// drives the real store, so demo data obeys every rule real data does.
package demo

import (
	"fmt"
	"math/rand/v2"

	"jiuzhu/app"
	"jiuzhu/storage"
)

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var givenChars = []rune("秀英华玉兰桂芳珍凤红梅丽敏静霞燕琴云莲萍明建国伟强军平志文德勇永春海林金成福生宝荣东兴全德贵世友广山家喜长庆发祥俊杰浩宇子涵欣怡梓轩雨萱一诺思彤浩然博文堃喆玥昇彧祎犇")
var villageNames = []string{"桃园村", "柳河村", "东岗村", "石桥村", "杨庄村", "新集社区", "大王庄村", "沙河村", "龙泉村", "青山村", "前进社区", "双井村"}

// Actors the demo signs its steps with.
var (
	Liaison  = app.Actor{UserID: "demo-liaison", Name: "王协理", Role: app.RoleLiaison}
	Clerk    = app.Actor{UserID: "demo-clerk", Name: "李经办", Role: app.RoleClerk}
	Approver = app.Actor{UserID: "demo-approver", Name: "张审批", Role: app.RoleApprover}
	County   = app.Actor{UserID: "demo-county", Name: "县民政局", Role: app.RoleCounty}
)

// Generator makes demo data from a seed, so that a run can be repeated.
type Generator struct {
	rng      *rand.Rand
	township string
	region   string // 6-digit address code used in ID numbers
	seq      int
	today    app.Date
}

// New returns a generator for a township code (9 digits).
func New(seed uint64, township string, today app.Date) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), township: township,
		region: township[:6], today: today}
}

// Villages returns the demo villages of the township (12-digit codes).
func (g *Generator) Villages() []storage.Village {
	out := make([]storage.Village, len(villageNames))
	for i, n := range villageNames {
		out[i] = storage.Village{Code: fmt.Sprintf("%s%03d", g.township, 201+i), Name: n}
	}
	return out
}

// Name returns a plausible Chinese name of 2 or 3 characters.
func (g *Generator) Name(surname rune) string {
	n := 1 + g.rng.IntN(2)
	s := []rune{surname}
	for i := 0; i < n; i++ {
		s = append(s, givenChars[g.rng.IntN(len(givenChars))])
	}
	return string(s)
}

// IDNumber returns a valid 18-digit ID number for a birth date and sex.
func (g *Generator) IDNumber(birth app.Date, male bool) string {
	g.seq++
	seq := (g.seq*7 + g.rng.IntN(50)) % 500 * 2
	if male {
		seq++
	}
	first := fmt.Sprintf("%s%04d%02d%02d%03d", g.region, birth.Year, birth.Month, birth.Day, seq%1000)
	return first + string(app.CheckChar(first))
}

func (g *Generator) birth(minAge, maxAge int) app.Date {
	age := minAge + g.rng.IntN(maxAge-minAge+1)
	return app.NewDate(g.today.Year-age, 1, 1).AddDays(g.rng.IntN(365))
}

// Household returns a random household in a village.
func (g *Generator) Household(v storage.Village) app.Household {
	sur := surnames[g.rng.IntN(len(surnames))]
	h := app.Household{TownshipCode: g.township, VillageCode: v.Code, VillageName: v.Name, Area: app.AreaRural,
		Address:     fmt.Sprintf("%s%d组%d号", v.Name, 1+g.rng.IntN(8), 1+g.rng.IntN(60)),
		Phone:       fmt.Sprintf("1%d%09d", 3+g.rng.IntN(7), g.rng.IntN(1e9)),
		BankName:    []string{"农村商业银行", "邮政储蓄银行", "农业银行"}[g.rng.IntN(3)],
		BankAccount: fmt.Sprintf("6217%015d", g.rng.Int64N(1e15))}
	if g.rng.IntN(5) == 0 {
		h.Area = app.AreaUrban
	}
	headMale := g.rng.IntN(3) > 0
	kind := g.rng.IntN(10)
	var headAge [2]int
	switch {
	case kind < 3:
		headAge = [2]int{62, 88} // elderly
	default:
		headAge = [2]int{30, 60}
	}
	head := app.Member{Name: g.Name(sur), Relation: app.RelationHead, IDNumber: g.IDNumber(g.birth(headAge[0], headAge[1]), headMale),
		Covered: true, WorkCapacity: app.WorkPartial, Health: app.HealthChronic}
	h.Members = append(h.Members, head)
	if kind >= 2 && g.rng.IntN(4) > 0 {
		h.Members = append(h.Members, app.Member{Name: g.Name(surnames[g.rng.IntN(len(surnames))]), Relation: app.RelationSpouse,
			IDNumber: g.IDNumber(g.birth(headAge[0], headAge[1]), !headMale), Covered: true, WorkCapacity: app.WorkFull, Health: app.HealthGood})
	}
	if kind >= 3 {
		for i := g.rng.IntN(3); i > 0; i-- {
			age := 3 + g.rng.IntN(15)
			m := app.Member{Name: g.Name(sur), Relation: app.RelationChild, IDNumber: g.IDNumber(g.birth(age, age), g.rng.IntN(2) == 0),
				Covered: true, Health: app.HealthGood, Schooling: []app.Schooling{app.SchoolPrimary, app.SchoolJunior, app.SchoolSenior}[g.rng.IntN(3)]}
			h.Members = append(h.Members, m)
		}
	}
	if g.rng.IntN(5) == 0 {
		i := g.rng.IntN(len(h.Members))
		h.Members[i].Disability = []app.DisabilityType{app.DisabilityPhysical, app.DisabilityIntellectual, app.DisabilityVisual, app.DisabilityMental}[g.rng.IntN(4)]
		h.Members[i].DisabilityGrade = 1 + g.rng.IntN(4)
		h.Members[i].WorkCapacity = app.WorkNone
	}
	wage := app.Money(g.rng.IntN(1800)) * 100
	h.Incomes = []app.Income{{Kind: app.IncomeWage, Monthly: wage}, {Kind: app.IncomeAgriculture, Monthly: app.Money(g.rng.IntN(300)) * 100}}
	if headAge[0] >= 60 {
		h.Incomes = append(h.Incomes, app.Income{Kind: app.IncomePensionBasic, Monthly: 15000})
	}
	if g.rng.IntN(3) == 0 {
		h.Assets = []app.Asset{{Kind: app.AssetDeposit, Value: app.Money(g.rng.IntN(20000)) * 100}}
	}
	cats := []app.Category{app.CategoryIllness, app.CategoryDisability, app.CategoryUnstableOutOfPoverty, app.CategoryEdgeProne}
	h.Categories = []app.Category{cats[g.rng.IntN(len(cats))]}
	return h
}
