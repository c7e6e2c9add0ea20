#! /bin/bash 
# The data-parallel BERT-large run that BertLarge.sh submits with sbatch (simulated node
# edition, same flow): it writes into ${PWD}/${LOGDIR}/BertLarge.out, where PWD is the
# submit directory (~/BertLarge), and ends with the Duration: line. accelsim stands in for the RDUs.
set -e 
SIM_ROOT=${ENVDOCTOR_SIM_ROOT:-}
export SOFTWARE_HOME=${SIM_ROOT}/opt
LOGDIR=`date +%m%d%y.%H`
if [ "$1" ] ; then
LOGDIR=$1
fi
MODEL_NAME="BertLarge"
OUTPUT_PATH=${PWD}/${LOGDIR}/${MODEL_NAME}.out
echo "Using ${OUTPUT_PATH} for output"
mkdir -p ${PWD}/${LOGDIR}

ACTIVATE=${SIM_ROOT}/opt/sambaflow/apps/nlp/transformers_on_rdu/venv/bin/activate
export OMP_NUM_THREADS=18
SECONDS=0
OUTDIR=${HOME}/${MODEL_NAME}

if [ -f ${ACTIVATE} ] ; then source ${ACTIVATE}; fi
cd ${HOME}
echo "Model: " ${MODEL_NAME} >> ${OUTPUT_PATH} 2>&1
echo "Date: " $(date +%m/%d/%y) >> ${OUTPUT_PATH} 2>&1
echo "Time: " $(date +%H:%M) >> ${OUTPUT_PATH} 2>&1
if [ ! -d ${OUTDIR} ] ; then
  mkdir ${OUTDIR}
fi
cd ${OUTDIR}
if [ ! -e ${OUTDIR}/bertlrg/bertlrg.pef ] ; then
  echo "${OUTDIR}/bertlrg/bertlrg.pef does not exist, exiting" >> ${OUTPUT_PATH} 2>&1
  exit 1
fi
echo "RUN" >> ${OUTPUT_PATH} 2>&1
export SAMBA_CCL_ASYNC_ALLREDUCE=0
export SAMBA_CCL_HIERARCHICAL_ALLREDUCE=0
NTASKS=${SLURM_NTASKS:-1}
COMMAND="python -m accelsim sambanova run --max_seq_length 128 -b 256 --steps_this_run 505 --data-parallel --reduce-on-rdu --ntasks ${NTASKS} --pef=${OUTDIR}/bertlrg/bertlrg.pef"
echo "RUN COMMAND: $COMMAND" >> ${OUTPUT_PATH} 2>&1
eval $COMMAND >> ${OUTPUT_PATH} 2>&1

echo "Duration: " $SECONDS >> ${OUTPUT_PATH} 2>&1
