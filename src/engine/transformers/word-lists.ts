import { quoteLiteral } from './digest.js';

/**
 * The fixed lists the person and address transformers pick from. Embedded in the SQL as
 * constant arrays (folded once per statement by the planner), so the source needs no table
 * or function of ours. Changing a list changes every mask made with it: append only.
 */
export const FIRST_NAMES = [
  'Aino', 'Amara', 'Anders', 'Anika', 'Arjun', 'Beatriz', 'Bruno', 'Camille', 'Carlos', 'Chen',
  'Dalia', 'Daniel', 'Elif', 'Emil', 'Esther', 'Farah', 'Felix', 'Greta', 'Hana', 'Hugo',
  'Ines', 'Isak', 'Jamal', 'Julia', 'Kai', 'Keiko', 'Lars', 'Leila', 'Lucas', 'Maja',
  'Marco', 'Mei', 'Nadia', 'Nils', 'Noor', 'Olga', 'Omar', 'Paula', 'Pedro', 'Priya',
  'Rafael', 'Rosa', 'Samir', 'Sofia', 'Tariq', 'Tessa', 'Tomas', 'Uma', 'Victor', 'Yara',
] as const;

export const LAST_NAMES = [
  'Abara', 'Berg', 'Costa', 'Dahl', 'Eriksen', 'Ferreira', 'Garcia', 'Hansen', 'Ibrahim', 'Jensen',
  'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Novak', 'Okafor', 'Petrov', 'Quinn', 'Rossi', 'Santos',
  'Schmidt', 'Silva', 'Tanaka', 'Ulrich', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zhang', 'Andersen',
  'Bauer', 'Castillo', 'Dubois', 'Engel', 'Fischer', 'Gomez', 'Horvat', 'Iversen', 'Kim', 'Larsen',
  'Meyer', 'Nguyen', 'Olsen', 'Park', 'Ramos', 'Sato', 'Torres', 'Virtanen', 'Wagner', 'Young',
] as const;

export const STREETS = [
  'Acacia Avenue', 'Birch Lane', 'Canal Street', 'Cedar Road', 'Chapel Row', 'Cherry Close', 'Church Street', 'Elm Drive',
  'Harbour Road', 'Hill Street', 'Juniper Way', 'King Street', 'Lake View', 'Linden Avenue', 'Maple Street', 'Market Square',
  'Meadow Lane', 'Mill Road', 'Oak Avenue', 'Orchard Way', 'Park Lane', 'Pine Street', 'Queen Street', 'River Road',
  'Rose Walk', 'School Lane', 'Spring Gardens', 'Station Road', 'Union Street', 'Victoria Road', 'Willow Crescent', 'York Place',
] as const;

export const CITIES = [
  'Aberton', 'Ashford Vale', 'Bellmoor', 'Brightwater', 'Cedarfield', 'Clearbrook', 'Dunmore', 'Eastwick',
  'Fairhaven', 'Glenrock', 'Greystone', 'Harrowgate', 'Highbridge', 'Ironbridge', 'Kingsport', 'Lakemont',
  'Larkspur', 'Millbrook', 'Northwood', 'Oakridge', 'Pinecrest', 'Queensbury', 'Redcliff', 'Riverton',
  'Rosehill', 'Silverlake', 'Southport', 'Stonehaven', 'Thornbury', 'Westfield', 'Whitby Cross', 'Woodhaven',
] as const;

/** `('{…}'::text[])[draw]`: one entry of a list. */
export function pickFrom(list: readonly string[], index: string): string {
  const literal = quoteLiteral(`{${list.map((w) => `"${w}"`).join(',')}}`);
  return `(${literal}::text[])[${index}]`;
}
