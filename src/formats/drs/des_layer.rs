//! The DES layer on replicated password hashes, keyed by the account's
//! RID (MS-SAMR 2.2.11.1.1–2.2.11.1.3).

use des::Des;
use des::cipher::{Array, BlockCipherDecrypt, KeyInit};
use zeroize::Zeroizing;

use super::{DrsError, ReplicatedAttribute};

/// Size of one encrypted hash: two DES blocks.
const HASH_SIZE: usize = 16;

/// Removes the DES layer from `value`, a sequence of 16-byte encrypted
/// hashes (one for `unicodePwd` and `dBCSPwd`, any number for the
/// histories): in each, the first 8-byte block is decrypted with the RID's
/// first key and the second with its second key.
///
/// A `value` of the wrong length for `attribute` is
/// [`DrsError::WrongLength`]. A wrong RID gives wrong bytes, not an error.
pub fn remove_des_layer(
    attribute: ReplicatedAttribute,
    rid: u32,
    value: &[u8],
) -> Result<Zeroizing<Vec<u8>>, DrsError> {
    let fits = match attribute {
        ReplicatedAttribute::UnicodePwd | ReplicatedAttribute::DbcsPwd => value.len() == HASH_SIZE,
        ReplicatedAttribute::NtPwdHistory | ReplicatedAttribute::LmPwdHistory => {
            value.len().is_multiple_of(HASH_SIZE)
        }
        ReplicatedAttribute::SupplementalCredentials => {
            return Err(DrsError::NoDesLayer { attribute });
        }
    };
    if !fits {
        return Err(DrsError::WrongLength {
            attribute,
            length: value.len(),
        });
    }
    let (first, second) = rid_keys(rid);
    let mut out = Zeroizing::new(value.to_vec());
    for hash in out.chunks_exact_mut(HASH_SIZE) {
        let (a, b) = hash.split_at_mut(HASH_SIZE / 2);
        decrypt_block(&first, a);
        decrypt_block(&second, b);
    }
    Ok(out)
}

fn decrypt_block(cipher: &Des, block: &mut [u8]) {
    let mut array = Array::<u8, _>::default();
    array.copy_from_slice(block);
    cipher.decrypt_block(&mut array);
    block.copy_from_slice(&array);
    zeroize::Zeroize::zeroize(array.as_mut_slice());
}

/// The two DES ciphers of a RID (MS-SAMR 2.2.11.1.3): with `I` the RID's
/// four little-endian bytes, the 7-byte keys are `I0 I1 I2 I3 I0 I1 I2`
/// and `I3 I0 I1 I2 I3 I0 I1`, each spread to 8 bytes (2.2.11.1.2).
fn rid_keys(rid: u32) -> (Des, Des) {
    let i = rid.to_le_bytes();
    let first = [i[0], i[1], i[2], i[3], i[0], i[1], i[2]];
    let second = [i[3], i[0], i[1], i[2], i[3], i[0], i[1]];
    (des_cipher(&first), des_cipher(&second))
}

/// A DES cipher from a 7-byte key: its 56 bits, seven at a time, become
/// the high bits of eight key bytes (the low, parity bit left zero; DES
/// ignores it).
fn des_cipher(key7: &[u8; 7]) -> Des {
    let mut bits = [0u8; 8];
    bits[1..].copy_from_slice(key7);
    let bits = Zeroizing::new(u64::from_be_bytes(bits));
    let mut key8 = Zeroizing::new([0u8; 8]);
    for (n, byte) in key8.iter_mut().enumerate() {
        // Bits 55..49 of the 56 go to byte 0, 48..42 to byte 1, and so on.
        *byte = (((*bits >> (49 - 7 * n)) & 0x7F) as u8) << 1;
    }
    Des::new(&Array::from(*key8))
}
