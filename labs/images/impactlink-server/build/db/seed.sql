-- Build-time seed: ~2,000 users, 200 charities, 600 projects, 60,000 donations over 18 months.
-- Deterministic (setseed) so every image holds the same rows.
\set ON_ERROR_STOP on
SELECT setseed(0.2025) \gset

CREATE TEMP TABLE first_names AS SELECT * FROM unnest(ARRAY[
  'Thabo','Lerato','Sipho','Naledi','Pieter','Anika','Johan','Zanele','Kagiso','Ayesha','Mohammed','Priya',
  'Liam','Emma','Bongani','Nomvula','Themba','Palesa','Ruan','Chantelle','Lindiwe','Mandla','Refilwe','Tshepo',
  'Keabetswe','Ntombi','Francois','Marike','Yusuf','Fatima','Rajesh','Kavitha','Busisiwe','Lwazi','Amahle','Karabo'
]) WITH ORDINALITY AS t(name, n);
CREATE TEMP TABLE last_names AS SELECT * FROM unnest(ARRAY[
  'Nkosi','Dlamini','van der Merwe','Botha','Naidoo','Pillay','Mokoena','Khumalo','Smith','Ndlovu','Pretorius',
  'Molefe','Jacobs','Mahlangu','Venter','Govender','Zulu','Sithole','du Plessis','Coetzee','Mthembu','Maseko',
  'Adams','Williams','Petersen','Hendricks','Mabaso','Radebe','Steyn','Fourie'
]) WITH ORDINALITY AS t(name, n);
CREATE TEMP TABLE places AS SELECT * FROM (VALUES
  (1,'Gauteng','Johannesburg'),(2,'Gauteng','Pretoria'),(3,'Gauteng','Soweto'),(4,'Western Cape','Cape Town'),
  (5,'Western Cape','Stellenbosch'),(6,'KwaZulu-Natal','Durban'),(7,'KwaZulu-Natal','Pietermaritzburg'),
  (8,'Eastern Cape','Gqeberha'),(9,'Eastern Cape','Mthatha'),(10,'Free State','Bloemfontein'),
  (11,'Limpopo','Polokwane'),(12,'Mpumalanga','Mbombela'),(13,'North West','Rustenburg'),
  (14,'Northern Cape','Kimberley'),(15,'Western Cape','George')) AS t(n, province, city);
CREATE TEMP TABLE causes AS SELECT * FROM (VALUES
  (1,'education','Education Trust','School meals for %s learners','learner fed for a month',180),
  (2,'education','Reading Foundation','Library corners in %s','box of readers',450),
  (3,'health','Community Health Project','Mobile clinic days in %s','clinic visit',120),
  (4,'health','Hospice Care','Home-based care around %s','week of home care',650),
  (5,'environment','Green Futures','Indigenous trees for %s','tree planted',85),
  (6,'environment','River Keepers','Clean-up crews along %s rivers','clean-up day',900),
  (7,'poverty','Community Kitchen','Soup kitchen in %s','hot meal',25),
  (8,'poverty','Winter Warmth Drive','Blankets for %s families','blanket',150),
  (9,'animals','Animal Rescue','Sterilisation clinics in %s','sterilisation',350),
  (10,'animals','SPCA Friends','Shelter food for %s animals','bag of food',220),
  (11,'other','Youth Sport Club','Football kits for %s teams','kit',500),
  (12,'other','Skills Centre','Sewing skills course in %s','course place',1200)) AS t(n, category, suffix, project, unit_name, unit_cost);
CREATE TEMP TABLE prefixes AS SELECT * FROM unnest(ARRAY[
  'Ubuntu','Siyakhula','Khanya','Thandanani','Ikhaya','Sunflower','Lighthouse','Amandla','Masibambane','Vukani',
  'Hope Valley','Sizanani','Kuyasa','Ithemba','Bophelo','Tswelopele','Letsatsi','Umtha','Baobab','Protea'
]) WITH ORDINALITY AS t(name, n);

-- Users: admins, one charity admin per charity, a few corporate admins, the rest donors.
INSERT INTO users (email, password_hash, user_type, first_name, last_name, phone, is_verified, last_login, created_at, updated_at)
SELECT lower(replace(f.name || '.' || l.name, ' ', '')) || g || '@' ||
         (ARRAY['gmail.com','outlook.com','mweb.co.za','webmail.co.za','icloud.com'])[1 + g % 5],
       '$2b$10$' || substr(md5(g::text || 'salt'), 1, 22) || substr(md5(g::text), 1, 31),
       CASE WHEN g <= 5 THEN 'admin' WHEN g <= 205 THEN 'charity_admin' WHEN g <= 225 THEN 'corporate_admin' ELSE 'donor' END,
       f.name, l.name,
       '+27 ' || (60 + g % 24) || ' ' || lpad((g * 7919 % 1000)::text, 3, '0') || ' ' || lpad((g * 104729 % 10000)::text, 4, '0'),
       random() < 0.85,
       CASE WHEN random() < 0.9 THEN now() - random() * interval '60 days' END,
       ts, ts
  FROM generate_series(1, 2000) AS g
  JOIN first_names f ON f.n = 1 + g % 36
  JOIN last_names l ON l.n = 1 + (g * 7) % 30
 CROSS JOIN LATERAL (SELECT now() - interval '720 days' + (g / 2000.0) * interval '690 days' AS ts) t;

CREATE TEMP TABLE user_ix AS
SELECT row_number() OVER (ORDER BY created_at, email) AS n, id, user_type, created_at FROM users;

INSERT INTO charities (name, description, category, registration_number, verification_status, admin_user_id,
                       website, province, city, created_at, updated_at)
SELECT t.name, format('%s supports communities in and around %s, %s.', t.name, p.city, p.province), c.category,
       format('%s-%s NPO', lpad((100 + g * 37 % 900)::text, 3, '0'), lpad((g * 7 % 1000)::text, 3, '0')),
       CASE WHEN g % 20 = 0 THEN 'rejected' WHEN g % 7 = 0 THEN 'pending' ELSE 'verified' END,
       u.id,
       'https://www.' || lower(regexp_replace(t.name, '[^A-Za-z]', '', 'g')) || '.org.za',
       p.province, p.city, ts, ts
  FROM generate_series(1, 200) AS g
  JOIN causes c ON c.n = 1 + g % 12
  JOIN places p ON p.n = 1 + (g * 3) % 15
  JOIN prefixes x ON x.n = 1 + (g / 12 + 7 * (g % 12)) % 20
  JOIN user_ix u ON u.n = 5 + g
 CROSS JOIN LATERAL (SELECT x.name || ' ' || c.suffix AS name,
                            now() - interval '900 days' + (g / 200.0) * interval '330 days' AS ts) t;

CREATE TEMP TABLE charity_ix AS
SELECT row_number() OVER (ORDER BY created_at, name) AS n, id, category, city, created_at
  FROM charities WHERE verification_status = 'verified';

INSERT INTO projects (charity_id, title, description, target_amount, unit_cost, unit_name, status,
                      start_date, end_date, created_at, updated_at)
SELECT c.id, format(k.project, c.city) || CASE WHEN s > 1 THEN ' (phase ' || s || ')' ELSE '' END,
       format('R%s funds one %s.', k.unit_cost, k.unit_name),
       (k.unit_cost * (50 + (random() * 950)::int))::numeric(12,2), k.unit_cost, k.unit_name,
       CASE WHEN s = 1 THEN 'completed' WHEN random() < 0.1 THEN 'paused' ELSE 'active' END,
       (c.created_at + (s - 1) * interval '120 days')::date,
       (c.created_at + s * interval '180 days')::date,
       c.created_at + (s - 1) * interval '120 days', c.created_at + (s - 1) * interval '120 days'
  FROM charities c
  JOIN causes k ON c.name LIKE '%' || k.suffix
 CROSS JOIN generate_series(1, 3) AS s;

CREATE TEMP TABLE project_ix AS
SELECT charity_id, array_agg(id ORDER BY created_at) AS ids FROM projects GROUP BY charity_id;

-- Donations: popular charities get far more (random()^2 skew), amounts cluster on round Rand values.
INSERT INTO donations (donor_id, charity_id, project_id, amount, currency, transaction_fee, net_amount,
                       payment_method, payment_status, stripe_payment_intent_id, is_recurring,
                       recurring_frequency, is_anonymous, created_at, updated_at)
SELECT u.id, c.id,
       CASE WHEN r.p < 0.7 THEN pi.ids[1 + (r.p * 100)::int % 3] END,
       a.amount, 'ZAR', f.fee, a.amount - f.fee, m.method,
       CASE WHEN r.s < 0.92 THEN 'completed' WHEN r.s < 0.96 THEN 'pending' WHEN r.s < 0.99 THEN 'failed' ELSE 'refunded' END,
       CASE WHEN m.method <> 'bank_transfer' THEN 'pi_' || substr(md5(g::text || 'pi'), 1, 24) END,
       r.rec < 0.15,
       CASE WHEN r.rec < 0.15 THEN (ARRAY['monthly','monthly','monthly','quarterly','yearly'])[1 + (r.rec * 100)::int % 5] END,
       r.anon < 0.08,
       greatest(r.ts, u.created_at + interval '1 day'), greatest(r.ts, u.created_at + interval '1 day')
  FROM generate_series(1, 60000) AS g
 CROSS JOIN LATERAL (SELECT random() AS d, random() AS c, random() AS p, random() AS s, random() AS rec,
                            random() AS anon, random() AS amt, random() AS meth,
                            now() - random() * interval '540 days' AS ts, g AS gg) r
  JOIN user_ix u ON u.n = 226 + floor(r.d * 1775)::int
  JOIN charity_ix c ON c.n = 1 + floor(r.c * r.c * (SELECT count(*) FROM charity_ix))::int
  LEFT JOIN project_ix pi ON pi.charity_id = c.id
 CROSS JOIN LATERAL (SELECT CASE
          WHEN r.amt < 0.05 THEN 5 + floor(r.amt * 900)::int
          ELSE (ARRAY[50,100,100,150,200,200,250,300,500,500,750,1000,1000,1500,2500,5000])[1 + floor(r.amt * 16)::int % 16]
        END::numeric(12,2) AS amount) a
 CROSS JOIN LATERAL (SELECT (ARRAY['credit_card','credit_card','credit_card','debit_card','debit_card','bank_transfer'])
                            [1 + floor(r.meth * 6)::int] AS method) m
 CROSS JOIN LATERAL (SELECT CASE WHEN m.method = 'bank_transfer' THEN 0
                                 ELSE round(a.amount * 0.029 + 2, 2) END::numeric(12,2) AS fee) f;

UPDATE charities c SET total_donations_received = t.total
  FROM (SELECT charity_id, sum(amount) AS total FROM donations WHERE payment_status = 'completed' GROUP BY charity_id) t
 WHERE t.charity_id = c.id;
UPDATE projects p SET raised_amount = t.total
  FROM (SELECT project_id, sum(amount) AS total FROM donations WHERE payment_status = 'completed' AND project_id IS NOT NULL
         GROUP BY project_id) t
 WHERE t.project_id = p.id;

INSERT INTO saved_charities (user_id, charity_id, created_at)
SELECT DISTINCT ON (u.id, c.id) u.id, c.id, now() - random() * interval '300 days'
  FROM generate_series(1, 3000) AS g
  JOIN user_ix u ON u.n = 226 + (g * 7919) % 1775
  JOIN charity_ix c ON c.n = 1 + (g * 104729) % (SELECT count(*) FROM charity_ix)
ON CONFLICT DO NOTHING;
