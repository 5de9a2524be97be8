/** Traditional characters inside medical claims fold to the simplified forms the lexicons use (OpenCC t2cn, one unit each). */
import { beforeAll, expect, test } from 'vitest';
import { foldPhrase, foldTables } from '../../src/normalize/tables.js';

// Building the tables takes a while on a loaded machine: not inside the first case's time limit.
beforeAll(() => void foldTables(), 60_000);

test.each([
  ['療效', '疗效'], ['痊癒', '痊愈'], ['醫治', '医治'], ['濕疹', '湿疹'], ['症狀', '症状'], ['腫瘤', '肿瘤'],
  ['痠痛', '酸痛'], ['不癢了', '不痒了'], ['頸椎', '颈椎'], ['關節炎', '关节炎'], ['風濕', '风湿'], ['脫髮', '脱发'],
  ['斑禿', '斑秃'], ['牛皮癬', '牛皮癣'], ['鼻竇炎', '鼻窦炎'], ['蕁麻疹', '荨麻疹'], ['膽結石', '胆结石'], ['腎虛', '肾虚'],
  ['胃潰瘍', '胃溃疡'], ['靜脈曲張', '静脉曲张'], ['藥到病除', '药到病除'], ['乾眼症', '干眼症'], ['骨質疏鬆', '骨质疏松'],
  ['老年癡呆', '老年痴呆'], ['痔瘡', '痔疮'], ['癌癥', '癌症'], ['復發', '复发'], ['消腫', '消肿'], ['甲狀腺', '甲状腺'],
])('%s folds as %s', (traditional, simplified) => expect(foldPhrase(traditional)).toBe(foldPhrase(simplified)));
