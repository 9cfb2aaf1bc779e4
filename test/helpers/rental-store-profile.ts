/**
 * A profile its user wrote for the rental store (test/fixtures/rental-store.sql), with
 * coverage: strict: every column is masked, cleared or listed safe.
 */
export const RENTAL_STORE_PROFILE = `name: rental-store
version: 1
coverage: strict
rules:
  - action: mask
    table: customer
    columns:
      first_name: { transformer: first-name }
      last_name: { transformer: last-name }
      email: { transformer: email }
  - action: mask
    table: staff
    columns:
      first_name: { transformer: first-name }
      last_name: { transformer: last-name }
      email: { transformer: email }
      username: { transformer: hash }
      password: { transformer: hash }
  - action: mask
    table: address
    columns:
      address: { transformer: street }
      address2: { transformer: street }
      postal_code: { transformer: postcode }
      phone: { transformer: phone }
  - action: clear
    table: staff_login_history
safe:
  - { table: customer, columns: [customer_id, store_id, address_id, activebool, create_date, last_update] }
  - { table: staff, columns: [staff_id, address_id, store_id, active, last_update] }
  - { table: address, columns: [address_id, district, city_id, last_update] }
  - { table: actor, columns: ['*'], reason: "actors' names are on every film's poster" }
  - { table: film, columns: ['*'], reason: the public catalogue }
  - { table: film_actor, columns: ['*'] }
  - { table: language, columns: ['*'] }
  - { table: country, columns: ['*'] }
  - { table: city, columns: ['*'] }
  - { table: store, columns: ['*'] }
  - { table: inventory, columns: ['*'] }
  - { table: rental, columns: ['*'] }
  - { table: payment, columns: ['*'] }
  - { table: schema_migrations, columns: ['*'] }
`;
