-- Section 18A approval (SARS) lets a charity issue tax-deductible donation receipts.
ALTER TABLE charities ADD COLUMN section18a_approved boolean NOT NULL DEFAULT false;
ALTER TABLE charities ADD COLUMN section18a_approved_at date;

-- Backfill from the list the finance team reconciled against SARS in October 2025.
UPDATE charities
   SET section18a_approved = true,
       section18a_approved_at = date '2025-10-01' - (abs(hashtext(registration_number)) % 900)
 WHERE verification_status = 'verified'
   AND abs(hashtext(registration_number)) % 3 <> 0;
