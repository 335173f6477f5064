// The locales of a multinational contact center's directory and what is known of each: its share of the staff,
// its most common surnames in order, how much of the population the most common one holds, and phone formats.
// Names themselves come from names.json (see README.md); these facts shape how often each one is drawn.

export interface Locale {
  /** BCP 47 tag. */
  tag: string;
  /** Relative share of the directory's people (normalized over all locales). */
  weight: number;
  /** The most common surnames, most common first (public name statistics); ranked ahead of the other real names. */
  commonSurnames: string[];
  /** Where surnames take a feminine form (Иванова, Nováková): the women's most common ones, same order. */
  commonSurnamesFemale?: string[];
  /** Share of the locale's people holding its most common surname. */
  topSurnameShare: number;
  /** A population with few surnames (Korea, Vietnam, China): no invented tail. */
  closedSurnames?: boolean;
  /** Spanish-speaking people often carry two surnames. */
  doubleSurname?: number;
  /** German addresses often write ä, ö, ü as ae, oe, ue. */
  umlauts?: boolean;
  /** Phone formats beyond names.json's (# any digit, ! a digit 2-9). */
  phones?: string[];
  /** Where the names come from in names.json when not under `tag`. */
  namesFrom?: string;
}

export const LOCALES: Locale[] = [
  {
    tag: 'en-US',
    weight: 30,
    commonSurnames: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez'],
    topSurnameShare: 0.009,
  },
  {
    tag: 'en-GB',
    weight: 6,
    commonSurnames: ['Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas'],
    topSurnameShare: 0.012,
  },
  {
    tag: 'en-IN',
    weight: 5,
    commonSurnames: ['Singh', 'Kumar', 'Sharma', 'Patel', 'Das', 'Gupta', 'Shah', 'Reddy', 'Rao', 'Yadav'],
    topSurnameShare: 0.05,
  },
  {
    tag: 'de',
    weight: 7,
    commonSurnames: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz'],
    topSurnameShare: 0.009,
    umlauts: true,
    phones: ['+49 30 #######', '+49 89 ########', '0171 #######', '+49 (0)40 ########', '0211 ######'],
  },
  {
    tag: 'fr',
    weight: 5,
    commonSurnames: ['Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard', 'Durand', 'Dubois', 'Moreau'],
    topSurnameShare: 0.004,
    phones: ['01 ## ## ## ##', '06 ## ## ## ##', '+33 6 ## ## ## ##', '+33 (0)1 ## ## ## ##'],
  },
  {
    tag: 'es',
    weight: 7,
    commonSurnames: ['García', 'Rodríguez', 'González', 'Fernández', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez'],
    topSurnameShare: 0.03,
    doubleSurname: 0.4,
    phones: ['+34 6## ## ## ##', '91 ### ## ##', '+52 55 #### ####', '(55) ####-####'],
  },
  {
    tag: 'it',
    weight: 3,
    commonSurnames: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino'],
    topSurnameShare: 0.004,
    phones: ['+39 02 #######', '+39 3## ### ####', '06 ########', '3## #######'],
  },
  {
    tag: 'pt-BR',
    weight: 4,
    commonSurnames: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima'],
    topSurnameShare: 0.05,
  },
  {
    tag: 'nl',
    weight: 2.5,
    commonSurnames: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser'],
    topSurnameShare: 0.006,
  },
  {
    tag: 'sv',
    weight: 1.2,
    commonSurnames: ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson'],
    topSurnameShare: 0.025,
    phones: ['08-### ### ##', '+46 8 ### ### ##', '070-### ## ##', '+46 70 ### ## ##'],
  },
  {
    tag: 'nb',
    weight: 0.8,
    commonSurnames: [
      'Hansen',
      'Johansen',
      'Olsen',
      'Larsen',
      'Andersen',
      'Pedersen',
      'Nilsen',
      'Kristiansen',
      'Jensen',
    ],
    topSurnameShare: 0.01,
  },
  {
    tag: 'da',
    weight: 0.8,
    commonSurnames: ['Nielsen', 'Jensen', 'Hansen', 'Andersen', 'Pedersen', 'Christensen', 'Larsen', 'Sørensen'],
    topSurnameShare: 0.045,
  },
  {
    tag: 'fi',
    weight: 0.7,
    commonSurnames: ['Korhonen', 'Virtanen', 'Mäkinen', 'Nieminen', 'Mäkelä', 'Hämäläinen', 'Laine', 'Heikkinen'],
    topSurnameShare: 0.005,
  },
  {
    tag: 'pl',
    weight: 2.5,
    commonSurnames: ['Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski', 'Zieliński'],
    topSurnameShare: 0.005,
    phones: ['+48 ### ### ###', '22 ### ## ##', '5## ### ###', '+48 22 ### ## ##'],
  },
  {
    tag: 'cs',
    weight: 1,
    commonSurnames: ['Novák', 'Svoboda', 'Novotný', 'Dvořák', 'Černý', 'Procházka', 'Kučera', 'Veselý', 'Horák'],
    commonSurnamesFemale: [
      ...['Nováková', 'Svobodová', 'Novotná', 'Dvořáková', 'Černá', 'Procházková', 'Kučerová', 'Veselá'],
      'Horáková',
    ],
    topSurnameShare: 0.007,
  },
  {
    tag: 'hr',
    weight: 0.6,
    commonSurnames: ['Horvat', 'Kovačević', 'Babić', 'Marić', 'Jurić', 'Novak', 'Kovačić', 'Knežević', 'Đurić'],
    topSurnameShare: 0.012,
  },
  {
    tag: 'tr',
    weight: 2,
    commonSurnames: ['Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Yıldız', 'Yıldırım', 'Öztürk', 'Aydın'],
    topSurnameShare: 0.04,
    phones: ['+90 5## ### ## ##', '0212 ### ## ##', '(0532) ### ## ##'],
  },
  {
    tag: 'ru',
    weight: 2,
    commonSurnames: ['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Васильев', 'Петров', 'Соколов', 'Михайлов'],
    commonSurnamesFemale: [
      'Иванова',
      'Смирнова',
      'Кузнецова',
      'Попова',
      'Васильева',
      'Петрова',
      'Соколова',
      'Михайлова',
    ],
    topSurnameShare: 0.015,
    phones: ['+7 (495) ###-##-##', '+7 9## ###-##-##', '8 (812) ###-##-##'],
  },
  {
    tag: 'uk',
    weight: 1.2,
    commonSurnames: ['Мельник', 'Шевченко', 'Бойко', 'Коваленко', 'Бондаренко', 'Ткаченко', 'Ковальчук'],
    // Ukrainian surnames in -enko, -uk, -ko are the same for women.
    commonSurnamesFemale: ['Мельник', 'Шевченко', 'Бойко', 'Коваленко', 'Бондаренко', 'Ткаченко', 'Ковальчук'],
    topSurnameShare: 0.012,
    phones: ['+380 44 ### ## ##', '+380 67 ### ####'],
  },
  {
    tag: 'zh',
    weight: 1.5,
    commonSurnames: ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'],
    topSurnameShare: 0.07,
    closedSurnames: true,
    phones: ['+86 10 #### ####', '+86 1## #### ####', '021-########'],
  },
  {
    // Chinese colleagues written in pinyin, as most Western directories hold them.
    tag: 'zh-Latn',
    weight: 2,
    commonSurnames: [
      ...['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou', 'Xu', 'Sun', 'Ma', 'Zhu'],
      ...['Hu', 'Guo', 'He', 'Gao', 'Lin', 'Luo', 'Zheng', 'Liang', 'Xie', 'Song', 'Tang', 'Han', 'Feng', 'Deng'],
      ...['Cao', 'Peng', 'Zeng', 'Xiao', 'Tian', 'Dong', 'Yuan', 'Pan', 'Yu', 'Jiang', 'Cai', 'Lu', 'Wei', 'Du'],
    ],
    topSurnameShare: 0.07,
    closedSurnames: true,
    namesFrom: 'zh-Latn',
    phones: ['+86 10 #### ####', '+86 1## #### ####', '+852 #### ####', '+65 #### ####'],
  },
  {
    tag: 'ja',
    weight: 1.5,
    commonSurnames: ['佐藤', '鈴木', '高橋', '田中', '伊藤', '渡辺', '山本', '中村', '小林', '加藤'],
    topSurnameShare: 0.015,
    phones: ['03-####-####', '+81 3-####-####', '090-####-####'],
  },
  {
    tag: 'ko',
    weight: 1.5,
    commonSurnames: ['김', '이', '박', '최', '정', '강', '조', '윤', '장', '임'],
    topSurnameShare: 0.21,
    closedSurnames: true,
  },
  {
    tag: 'vi',
    weight: 2.5,
    commonSurnames: ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng'],
    topSurnameShare: 0.38,
    closedSurnames: true,
    phones: ['+84 28 #### ####', '09# ### ## ##', '+84 9# ### ## ##'],
  },
  {
    tag: 'ar',
    weight: 2,
    commonSurnames: [],
    topSurnameShare: 0.02,
    phones: ['+966 5# ### ####', '+971 4 ### ####', '05# ### ####', '+20 10 #### ####'],
  },
];

/**
 * Pinyin given names common in mainland China (one or two syllables): the seed for invented ones.
 * A directory writes them as one word.
 */
export const PINYIN_GIVEN_NAMES = [
  ...['Wei', 'Fang', 'Na', 'Min', 'Jing', 'Li', 'Qiang', 'Lei', 'Jun', 'Yang', 'Yong', 'Yan', 'Jie', 'Juan'],
  ...['Tao', 'Ming', 'Chao', 'Xiuying', 'Xia', 'Ping', 'Gang', 'Guiying', 'Hui', 'Hong', 'Xin', 'Bo', 'Hao'],
  ...['Yu', 'Zihan', 'Yuxuan', 'Haoran', 'Yichen', 'Xinyi', 'Ziyi', 'Yutong', 'Jiahao', 'Zhiwei', 'Jianguo'],
  ...['Xiaoming', 'Xiaoyan', 'Lihua', 'Meiling', 'Guoqiang', 'Jianhua', 'Haiyan', 'Chunmei', 'Dongmei', 'Shu'],
];
